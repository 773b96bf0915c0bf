package report

import (
	"image/color"
	"io"
	"maps"
	"slices"

	"github.com/shopspring/decimal"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The chart's size in pixels.
const (
	ChartWidth  = 800
	ChartHeight = 400
	chartDPI    = 96
)

// WriteChart draws the trend as a PNG of ChartWidth x ChartHeight pixels:
// open backorders at each week's end on the left, revenue at risk per
// currency on the right (two panels, because counts and amounts do not
// share a scale). Amounts become floats here, for drawing only.
func WriteChart(w io.Writer, r Report) error {
	labels := make([]string, len(r.Trend))
	open := make(plotter.XYs, len(r.Trend))
	revenue := map[string]plotter.XYs{}
	for i, tw := range r.Trend {
		labels[i] = tw.Week[len("2006-"):] // "W05": the axis label names the years
		open[i] = plotter.XY{X: float64(i), Y: float64(tw.OpenAtWeekEnd)}
		for _, cur := range tw.RevenueAtRisk.Currencies() {
			if revenue[cur] == nil {
				revenue[cur] = make(plotter.XYs, len(r.Trend)) // zero where a week has none
				for j := range revenue[cur] {
					revenue[cur][j].X = float64(j)
				}
			}
			amount, _ := decimal.NewFromString(tw.RevenueAtRisk[cur])
			revenue[cur][i].Y = amount.InexactFloat64()
		}
	}

	left := trendPlot("Open backorders at week end", labels, r)
	if err := addLine(left, "", open, plotutil.Color(0)); err != nil {
		return err
	}
	right := trendPlot("Revenue at risk at week end", labels, r)
	right.Legend.Top, right.Legend.Left = true, true
	for i, cur := range slices.Sorted(maps.Keys(revenue)) {
		if err := addLine(right, cur, revenue[cur], plotutil.Color(i+1)); err != nil {
			return err
		}
	}

	c := vgimg.NewWith(vgimg.UseWH(pixels(ChartWidth), pixels(ChartHeight)), vgimg.UseDPI(chartDPI))
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(16), PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{left, right}}, tiles, draw.New(c))
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

func trendPlot(title string, labels []string, r Report) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = r.Trend[0].Week + " to " + r.Trend[len(r.Trend)-1].Week
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return p
}

func addLine(p *plot.Plot, name string, xys plotter.XYs, c color.Color) error {
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	line.Color, points.Color = c, c
	line.Width = vg.Points(2)
	p.Add(line, points)
	if name != "" {
		p.Legend.Add(name, line, points)
	}
	// A flat zero line still gets a visible scale.
	p.Y.Max = max(p.Y.Max, 1)
	return nil
}

func pixels(n int) vg.Length { return vg.Length(n) * vg.Inch / chartDPI }
