package xlsx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// refTokens is the reading tokens replaced: encoding/xml's RawToken in
// strict mode, with the same checks of nesting. tokens must read every
// input as it does: the same tokens, the same error (message and line).
func refTokens(r io.Reader) []string {
	d := xml.NewDecoder(r)
	d.Strict = true
	var stack []xml.Name
	var out []string
	qname := func(n xml.Name) string {
		if n.Space != "" {
			return n.Space + ":" + n.Local
		}
		return n.Local
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if len(stack) > 0 {
				return append(out, fmt.Sprintf("ERR XML syntax error: the part ends inside <%s>: %v", qname(stack[len(stack)-1]), io.ErrUnexpectedEOF))
			}
			return append(out, "EOF")
		}
		if err != nil {
			return append(out, "ERR "+err.Error())
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return append(out, fmt.Sprintf("ERR XML elements nested more than %d deep", maxDepth))
			}
			stack = append(stack, e.Name)
			s := "S " + e.Name.Space + "|" + e.Name.Local
			for _, a := range e.Attr {
				s += fmt.Sprintf(" %s|%s=%q", a.Name.Space, a.Name.Local, a.Value)
			}
			out = append(out, s)
		case xml.EndElement:
			if len(stack) == 0 {
				return append(out, fmt.Sprintf("ERR XML syntax error: unexpected end element </%s>", qname(e.Name)))
			}
			if open := stack[len(stack)-1]; open != e.Name {
				return append(out, fmt.Sprintf("ERR XML syntax error: element <%s> closed by </%s>", qname(open), qname(e.Name)))
			}
			stack = stack[:len(stack)-1]
			out = append(out, "E "+e.Name.Space+"|"+e.Name.Local)
		case xml.CharData:
			out = append(out, fmt.Sprintf("T %q", e))
		default:
			out = append(out, "O")
		}
	}
}

// newTokenList reads r with tokens, starting with a buffer of size bytes.
func newTokenList(r io.Reader, size int) []string {
	t := newTokens(r)
	t.buf = make([]byte, size)
	var out []string
	for {
		kind, err := t.next()
		if err == io.EOF {
			return append(out, "EOF")
		}
		if err != nil {
			return append(out, "ERR "+err.Error())
		}
		switch kind {
		case tokStart:
			s := "S " + string(t.space) + "|" + string(t.local)
			for _, a := range t.attrs {
				s += fmt.Sprintf(" %s|%s=%q", a.space, a.local, a.value)
			}
			out = append(out, s)
		case tokEnd:
			out = append(out, "E "+string(t.space)+"|"+string(t.local))
		case tokText:
			out = append(out, fmt.Sprintf("T %q", t.text))
		default:
			out = append(out, "O")
		}
	}
}

// checkTokens holds tokens to encoding/xml on doc, read whole and a byte
// at a time, from a small buffer and a large one.
func checkTokens(t *testing.T, doc []byte) {
	t.Helper()
	want := strings.Join(refTokens(bytes.NewReader(doc)), "\n")
	for _, c := range []struct {
		name string
		r    io.Reader
		size int
	}{
		{"whole", bytes.NewReader(doc), 64 << 10},
		{"bytes", iotest.OneByteReader(bytes.NewReader(doc)), 1},
		{"halves", iotest.HalfReader(bytes.NewReader(doc)), 7},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(doc)), 3},
	} {
		if got := strings.Join(newTokenList(c.r, c.size), "\n"); got != want {
			t.Fatalf("%s: %q\ntokens:\n%s\nencoding/xml:\n%s", c.name, doc, got, want)
		}
	}
}

var tokenCases = []string{
	``,
	`<a/>`,
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" + `<worksheet xmlns="http://x" xmlns:r="http://r"><sheetData><row r="1" spans="1:3"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1"><f>SUM(A1:A2)</f><v>3</v></c></row></sheetData></worksheet>`,
	`<?xml version='1.0' encoding='utf-8'?><a/>`,
	`<?xml version="1.0" encoding="GBK"?><a/>`,
	`<?xml version="1.1"?><a/>`,
	`<?xml?><a/>`,
	`<??><a/>`,
	`<?x ?>`,
	`<?x`,
	`<?xml version="1.0"`,
	"\ufeff<a/>",
	`<a b="1" c='2'></a>`,
	`<a b="1"c="2"/>`,
	`<a b = "1" />`,
	`<a b=1/>`,
	`<a b/>`,
	`<a b="x>y" c='"'/>`,
	`<a b="x<y"/>`,
	`<a b="&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;"/>`,
	`<a b="&nope;"/>`,
	`<a b="&amp"/>`,
	`<a b="` + "x\r\ny\rz\tw\n" + `"/>`,
	`<a>&lt;b&gt; &amp; &#20013;&#x6587; &apos;&quot;</a>`,
	`<a>&#0;</a>`,
	`<a>&#xD800;</a>`,
	`<a>&#x110000;</a>`,
	`<a>&#;</a>`,
	`<a>&#x;</a>`,
	`<a>&#X41;</a>`,
	`<a>&#65</a>`,
	`<a>&;</a>`,
	`<a>&</a>`,
	`<a>&amp`,
	`<a>&#`,
	`<a>&#x`,
	`<a>&#12`,
	`<a>&中;</a>`,
	`<a>x]]>y</a>`,
	`<a>x]]y]>z]</a>`,
	`<a>x]]&gt;</a>`,
	`<a><![CDATA[<b>&amp;]]]]></a>`,
	`<a><![CDATA[x` + "\r\n" + `y]]></a>`,
	`<a><![CDATA[x</a>`,
	`<a><![CDAT[x]]></a>`,
	`<a><!-- c --><!----><!-- - --></a>`,
	`<a><!-- -- --></a>`,
	`<a><!- x --></a>`,
	`<a><!-- x`,
	`<!DOCTYPE a [<!ENTITY e "x>y"><!-- > --><!ELEMENT a ANY>]><a/>`,
	`<!DOCTYPE a 'x>`,
	`<!>a>`,
	`<a>` + "x\r\ny\rz\x01" + `</a>`,
	`<a>` + "x\r\ny\rz" + `</a>`,
	"<a>\xff</a>",
	"<a>\uFFFE</a>",
	"<a b=\"\xff\"/>",
	`<a>中文 text 身份证号</a>`,
	`<中文 属性="值">x</中文>`,
	`<x:a x:b="1"></x:a>`,
	`<x:a></y:a>`,
	`<a:b:c/>`,
	`<:a/>`,
	`<a:/>`,
	`<a></b>`,
	`</a>`,
	`<a>`,
	`<a><b></a></b>`,
	`< a/>`,
	`<>`,
	`<`,
	`<a`,
	`<a b`,
	`<a b=`,
	`<a b="`,
	`<a/`,
	`<a/ >`,
	`<1a/>`,
	`<a 1="x"/>`,
	`<a b="1" <c/>`,
	`</a `,
	`<a></a x>`,
	`<a></a >`,
	`<a></a`,
	`<a>x</a>trailing`,
	`<a>` + strings.Repeat("中", 5000) + `</a>`,
	`<a b="` + strings.Repeat("x&amp;", 3000) + `"/>`,
	strings.Repeat("<a>", maxDepth) + strings.Repeat("</a>", maxDepth),
	strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1),
	`<a>` + "\u00b7" + `</a><b·c/>`,
	`<·b/>`,
	`<a>` + "\x7f" + `</a>`,
	"<a>\n<b>\n&bad;\n</b></a>",
	"<a\nb='1'\n c=2/>",
	"<a>\r\n\n</b>",
	"<a>\n\n<b x=\"\n\xff\n\"/></a>",
	"<a>\n\n<b x=\"\n\xe4\xb8",
	"<a>\n<!-- \n -- \n-->",
	"<a>\n<![CDATA[\n\x01]]></a>",
	"<?xml version=\"1.0\"?>\n<a>\n</a>\n<b/>",
	"<!-\n", "<![CDAT\n", "<!-- --\n", "<a/\n>", "<a>\n</a\n\nx>", "<a\nb\n\n\"", "<a b\n=\n\n\n",
	"<\n", "<?\n?>", "<a>&amp\n;</a>", "<a>&#12\n</a>",
}

func TestTokensLikeEncodingXML(t *testing.T) {
	for _, c := range tokenCases {
		checkTokens(t, []byte(c))
	}
	// Every byte value in text, in a name, in an attribute value.
	for c := range 256 {
		for _, f := range []string{"<a>x%cy</a>", "<a%c/>", "<a%cb/>", "<a b=\"%c\"/>", "<%ca/>", "<a>&%c;</a>", "<a>&#%c;</a>"} {
			checkTokens(t, []byte(fmt.Sprintf(f, c)))
		}
	}
}

// FuzzTokens holds tokens to encoding/xml on any input.
func FuzzTokens(f *testing.F) {
	for _, c := range tokenCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkTokens(t, doc)
	})
}

// TestTokensReadError passes a reader's error on, after the tokens read
// before it.
func TestTokensReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`<a><b>text`), iotest.ErrReader(boom))
	tk := newTokens(r)
	var kinds []tokKind
	for {
		k, err := tk.next()
		if err != nil {
			if !errors.Is(err, boom) {
				t.Fatalf("error %v, want boom", err)
			}
			break
		}
		kinds = append(kinds, k)
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]tokKind{tokStart, tokStart, tokText}) {
		t.Fatalf("tokens before the error: %v", kinds)
	}
}
