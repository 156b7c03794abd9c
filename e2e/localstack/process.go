package localstack

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is one child process whose output goes to a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}

	mu       sync.Mutex
	expected bool // ended on purpose (stop, kill): not reported as a crash
}

// startProcess starts bin with args in dir, its environment the launcher's plus env, its output
// appended to logPath. When it ends without stop or kill, its name is sent to exited (if there
// is room).
func startProcess(name, bin string, args, env []string, dir, logPath string, exited chan<- string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	// Own process group: a Ctrl-C in the terminal reaches the launcher only, which stops the
	// processes in order. Pdeathsig: a launcher that dies leaves no process behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &process{name: name, cmd: cmd, log: f, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
		p.mu.Lock()
		expected := p.expected
		p.mu.Unlock()
		if !expected {
			select {
			case exited <- name:
			default:
			}
		}
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *process) exitState() string {
	if p.cmd.ProcessState == nil {
		return "running"
	}
	return p.cmd.ProcessState.String()
}

func (p *process) markExpected() {
	p.mu.Lock()
	p.expected = true
	p.mu.Unlock()
}

// stop sends SIGTERM and waits up to timeout, then kills the process group.
func (p *process) stop(timeout time.Duration) {
	p.markExpected()
	if !p.running() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		fmt.Fprintf(p.log, "localstack: %s did not stop within %s: SIGKILL\n", p.name, timeout)
		p.kill()
	}
}

// kill ends the process group at once with SIGKILL and waits for the process.
func (p *process) kill() {
	p.markExpected()
	if p.running() {
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	}
	<-p.done
}
