// Package messages renders what the process tells people: the customer's
// delay and revised-date emails (plain text and HTML) and the warehouse
// manager's SMS.
package messages

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"
)

//go:embed templates
var templates embed.FS

var (
	customerText = texttemplate.Must(texttemplate.ParseFS(templates, "templates/customer.txt.tmpl"))
	// html/template escapes every value for where it lands, so a customer
	// or product name cannot inject markup.
	customerHTML = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/customer.html.tmpl"))
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
	// PreviousETA is set on a revised-date notice; Reason says why it moved.
	PreviousETA string
	Reason      string
	// SupportEmail is where to cancel or ask.
	SupportEmail string
}

// Email is a rendered email.
type Email struct {
	Subject string
	Text    string
	HTML    string
}

// Customer renders a customer notice.
func Customer(n CustomerNotice) (Email, error) {
	e := Email{Subject: fmt.Sprintf("Your order %s is delayed: new estimated delivery %s", n.OrderID, n.ETA)}
	if n.PreviousETA != "" {
		e.Subject = fmt.Sprintf("Your order %s: estimated delivery moved to %s", n.OrderID, n.ETA)
	}
	var text, html bytes.Buffer
	if err := customerText.Execute(&text, n); err != nil {
		return Email{}, fmt.Errorf("rendering customer notice for order %s: %w", n.OrderID, err)
	}
	if err := customerHTML.Execute(&html, struct {
		CustomerNotice
		Subject string
	}{n, e.Subject}); err != nil {
		return Email{}, fmt.Errorf("rendering customer notice for order %s: %w", n.OrderID, err)
	}
	e.Text, e.HTML = text.String(), html.String()
	return e, nil
}

// WarehouseAlert is the SMS to the warehouse manager, short enough for one
// segment.
func WarehouseAlert(orderID, value, currency, eta string) string {
	return fmt.Sprintf("Backorder %s: %s %s at risk, new ETA %s.", orderID, value, currency, eta)
}
