// Package messages renders what the process tells people: the customer's
// delay and revised-date notices and the warehouse manager's SMS.
package messages

import (
	"bytes"
	"fmt"
	"text/template"
)

// Line is one backordered line as the customer sees it.
type Line struct {
	SKU      string
	Name     string
	Quantity int64
}

// CustomerNotice is the data of a delay or revised-date email.
type CustomerNotice struct {
	CustomerName string
	OrderID      string
	Lines        []Line
	ETA          string
	// PreviousETA is set on a revised-date notice.
	PreviousETA string
	Reason      string
}

var customerTemplate = template.Must(template.New("customer").Parse(
	`Dear {{.CustomerName}},

{{if .PreviousETA -}}
The estimated delivery date of your order {{.OrderID}} has changed from {{.PreviousETA}} to {{.ETA}}{{if .Reason}} ({{.Reason}}){{end}}.
{{- else -}}
Some items of your order {{.OrderID}} are out of stock and will arrive later than promised.
{{- end}}

Items on backorder:
{{range .Lines}}  - {{.SKU}}  {{.Name}}  x {{.Quantity}}
{{end}}
New estimated delivery date: {{.ETA}}

We are sorry for the delay. Reply to this email if you would like to cancel
the backordered items or have any questions.
`))

// Customer renders the subject and body of a customer notice.
func Customer(n CustomerNotice) (subject, body string, err error) {
	var buf bytes.Buffer
	if err := customerTemplate.Execute(&buf, n); err != nil {
		return "", "", fmt.Errorf("rendering customer notice for order %s: %w", n.OrderID, err)
	}
	subject = fmt.Sprintf("Your order %s is delayed: new estimated delivery %s", n.OrderID, n.ETA)
	if n.PreviousETA != "" {
		subject = fmt.Sprintf("Your order %s: estimated delivery moved to %s", n.OrderID, n.ETA)
	}
	return subject, buf.String(), nil
}

// WarehouseAlert is the SMS to the warehouse manager, short enough for one
// segment.
func WarehouseAlert(orderID, value, currency, eta string) string {
	return fmt.Sprintf("Backorder %s: %s %s at risk, new ETA %s.", orderID, value, currency, eta)
}
