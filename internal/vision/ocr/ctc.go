package ocr

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Dict maps recogniser classes to text: class 0 is the CTC blank, classes
// 1..n are the dictionary lines, class n+1 is a space.
type Dict struct {
	chars []string
	once  sync.Once
	index map[string]int // character → class, built on first use
}

// ReadDict reads a PP-OCR dictionary (one character per line).
func ReadDict(r io.Reader) (*Dict, error) {
	var chars []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	for sc.Scan() {
		chars = append(chars, strings.TrimRight(sc.Text(), "\r\n"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ocr: read dictionary: %w", err)
	}
	if len(chars) == 0 {
		return nil, fmt.Errorf("ocr: empty dictionary")
	}
	return &Dict{chars: chars}, nil
}

// Classes is the number of recogniser output classes the dictionary implies.
func (d *Dict) Classes() int { return len(d.chars) + 2 }

// Text returns the text of class c ("" for blank or out of range).
func (d *Dict) Text(c int) string {
	switch {
	case c <= 0:
		return ""
	case c <= len(d.chars):
		return d.chars[c-1]
	case c == len(d.chars)+1:
		return " "
	}
	return ""
}

// Char is one decoded character with its confidence and its horizontal
// position in the line, as a fraction 0..1 of the line's length.
type Char struct {
	Text  string
	Conf  float32
	Start float64
	End   float64
	Alts  []Alt // the most likely classes at the character's first step, best first
}

// Alt is a candidate reading of one character.
type Alt struct {
	Text string
	Prob float32
}

// altCount is how many candidates are kept per character (for constrained
// decoding of closed-vocabulary fields by callers).
const altCount = 4

func topAlts(row []float32, d *Dict) []Alt {
	var idx [altCount]int
	var val [altCount]float32
	for c := 1; c < len(row); c++ {
		v := row[c]
		if v <= val[altCount-1] {
			continue
		}
		k := altCount - 1
		for k > 0 && v > val[k-1] {
			val[k], idx[k] = val[k-1], idx[k-1]
			k--
		}
		val[k], idx[k] = v, c
	}
	out := make([]Alt, 0, altCount)
	for k := 0; k < altCount; k++ {
		if val[k] > 0 {
			out = append(out, Alt{Text: d.Text(idx[k]), Prob: val[k]})
		}
	}
	return out
}

// decodeCTC greedily decodes one sequence of T×C probabilities: argmax per
// step, repeats merged, blanks dropped. The score is the mean confidence
// of the kept characters (0 when none).
func decodeCTC(probs []float32, steps, classes int, d *Dict) (string, float32, []Char) {
	var (
		sb    strings.Builder
		chars []Char
		sum   float32
		prev  = -1
	)
	for t := 0; t < steps; t++ {
		row := probs[t*classes : (t+1)*classes]
		best, bp := 0, row[0]
		for c := 1; c < classes; c++ {
			if row[c] > bp {
				best, bp = c, row[c]
			}
		}
		if best != 0 && best == prev && len(chars) > 0 {
			// Repeat of the same class: extend the character, keep the lower confidence.
			ch := &chars[len(chars)-1]
			ch.End = float64(t+1) / float64(steps)
			if bp < ch.Conf {
				sum -= ch.Conf - bp
				ch.Conf = bp
			}
			prev = best
			continue
		}
		prev = best
		if best == 0 {
			continue
		}
		s := d.Text(best)
		if s == "" {
			continue
		}
		sb.WriteString(s)
		chars = append(chars, Char{Text: s, Conf: bp, Start: float64(t) / float64(steps), End: float64(t+1) / float64(steps), Alts: topAlts(row, d)})
		sum += bp
	}
	if len(chars) == 0 {
		return "", 0, nil
	}
	return sb.String(), sum / float32(len(chars)), chars
}
