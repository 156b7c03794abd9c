module github.com/orderflow/orderflow/services/gateway

go 1.26.4

require github.com/orderflow/orderflow/pkg v0.0.0

replace github.com/orderflow/orderflow/pkg => ../../pkg
