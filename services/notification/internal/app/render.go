package app

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/orderflow/orderflow/pkg/events"
)

// messages holds a subject and a body template per event type, named "<type>.subject" and
// "<type>.body". Each is executed with the event's data struct.
const messages = `
{{- define "order.created.subject"}}Order {{.OrderID}} received{{end}}
{{- define "order.created.body" -}}
We received your order {{.OrderID}}: {{len .Items}} item(s) for a total of {{money .TotalAmount .Currency}}.
We will let you know as soon as the payment is complete.
{{- end}}

{{- define "order.status.changed.subject" -}}
{{if eq .To "cancelled"}}Order {{.OrderID}} cancelled{{with .Reason}}: {{.}}{{end -}}
{{else if eq .To "paid"}}Order {{.OrderID}} paid
{{- else if eq .To "shipped"}}Order {{.OrderID}} shipped
{{- else}}Order {{.OrderID}} is {{.To}}{{end}}
{{- end}}
{{- define "order.status.changed.body" -}}
{{if eq .To "cancelled"}}Your order {{.OrderID}} of {{money .TotalAmount .Currency}} was cancelled
{{- with .Reason}}: {{.}}{{end}}.
{{- else if eq .To "paid"}}Your order {{.OrderID}} of {{money .TotalAmount .Currency}} is paid. We are preparing it.
{{- else if eq .To "shipped"}}Your order {{.OrderID}} has shipped and is on its way.
{{- else}}Your order {{.OrderID}} changed from {{.From}} to {{.To}}.{{end}}
{{- end}}

{{- define "payment.completed.subject"}}Payment of {{money .Amount .Currency}} completed for order {{.OrderID}}{{end}}
{{- define "payment.completed.body" -}}
We received your payment of {{money .Amount .Currency}} for order {{.OrderID}} (payment {{.PaymentID}}).
{{- end}}

{{- define "payment.failed.subject"}}Payment of {{money .Amount .Currency}} failed for order {{.OrderID}}{{end}}
{{- define "payment.failed.body" -}}
Your payment of {{money .Amount .Currency}} for order {{.OrderID}} failed: {{.Reason}}.
{{- end}}

{{- define "payment.refunded.subject"}}Refund of {{money .Amount .Currency}} for order {{.OrderID}}{{end}}
{{- define "payment.refunded.body" -}}
We refunded {{money .Amount .Currency}} for order {{.OrderID}}{{with .Reason}} ({{.}}){{end}}.
It may take a few days to appear on your statement.
{{- end}}
`

var templates = template.Must(template.New("messages").
	Option("missingkey=error").
	Funcs(template.FuncMap{"money": FormatMoney}).
	Parse(messages))

// Message is a rendered notification text.
type Message struct {
	Subject string
	Body    string
}

// Render renders the message of eventType for data, the event's data struct.
func Render(eventType string, data any) (Message, error) {
	subject, err := execute(eventType+".subject", data)
	if err != nil {
		return Message{}, err
	}
	body, err := execute(eventType+".body", data)
	if err != nil {
		return Message{}, err
	}
	return Message{Subject: oneLine(subject), Body: body}, nil
}

func execute(name string, data any) (string, error) {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

// oneLine replaces control characters, so that a subject (a mail header) is one line whatever
// the event's strings contain.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// hasNUL reports whether any of ss holds a NUL character, which PostgreSQL text cannot store:
// such an event can never be stored, so it is invalid rather than a reason to retry.
func hasNUL(ss ...string) bool {
	for _, s := range ss {
		if strings.ContainsRune(s, 0) {
			return true
		}
	}
	return false
}

// errInvalid marks an event this service can never process; it wraps events.ErrInvalid, so the
// subscription answers DROP.
func errInvalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", events.ErrInvalid, fmt.Sprintf(format, args...))
}
