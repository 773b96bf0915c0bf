// Package csvsafe writes CSV that a spreadsheet opens as data: a cell of
// text from data (a name, an id, a note) that begins with =, +, -, @, a tab
// or a carriage return is written with a single quote before it, so Excel,
// LibreOffice or Google Sheets never evaluate it as a formula (OWASP's rule
// against CSV injection). Every CSV the project writes goes through it.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// Cell is one field of a record: Text (from data, neutralised) or Value
// (formatted by the program, written as it is).
type Cell struct {
	s     string
	value bool
}

// Text is a cell whose content came from data or from a person: names,
// ids, SKUs, notes, titles. It is neutralised when written.
func Text(s string) Cell { return Cell{s: s} }

// Value is a cell the program formatted itself (a number, an amount, a
// date, true/false, "-" for none), so a figure stays a figure in the
// spreadsheet. Never pass data through Value.
func Value(s string) Cell { return Cell{s: s, value: true} }

// formulaStart holds the characters that make a spreadsheet read a cell as
// a formula.
const formulaStart = "=+-@\t\r"

// Neutralise returns s with a single quote before it when it begins with
// one of =, +, -, @, tab or carriage return; any other text is unchanged.
func Neutralise(s string) string {
	if s != "" && strings.IndexByte(formulaStart, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Writer is an encoding/csv writer that neutralises Text cells.
type Writer struct {
	c *csv.Writer
}

// NewWriter writes CSV to w.
func NewWriter(w io.Writer) *Writer { return &Writer{c: csv.NewWriter(w)} }

// Write writes one record. Errors are kept for Flush, as with csv.Writer.
func (w *Writer) Write(cells ...Cell) {
	record := make([]string, len(cells))
	for i, c := range cells {
		if c.value {
			record[i] = c.s
		} else {
			record[i] = Neutralise(c.s)
		}
	}
	_ = w.c.Write(record) // an error stays in the writer; Flush returns it
}

// WriteText writes a record of text cells only, such as a header.
func (w *Writer) WriteText(fields ...string) {
	cells := make([]Cell, len(fields))
	for i, f := range fields {
		cells[i] = Text(f)
	}
	w.Write(cells...)
}

// Flush writes what is buffered and returns the first error of any write.
func (w *Writer) Flush() error {
	w.c.Flush()
	return w.c.Error()
}
