package dataset

import (
	"testing"
)

func TestCleanValue(t *testing.T) {
	cases := []struct {
		name string
		in   string
		free bool
		want string
		dmg  damage
		r    rune
	}{
		{"clean ASCII", "3407990010010001", false, "3407990010010001", damageNone, 0},
		{"clean Chinese", "示例县人民医院", true, "示例县人民医院", damageNone, 0},
		{"NUL padding of a CHAR(n) column", "3407990010010001\x00\x00\x00\x00", false, "3407990010010001", damageNone, 0},
		{"NUL before", "\x00\x003407990010010001", false, "3407990010010001", damageNone, 0},
		{"space padding", "3407990010010001    ", false, "3407990010010001", damageNone, 0},
		{"leading tab", "\t3407990010010001", false, "3407990010010001", damageNone, 0},
		{"trailing tab", "3407990010010001\t", false, "3407990010010001", damageNone, 0},
		{"BOM", "\ufeff3407990010010001", false, "3407990010010001", damageNone, 0},
		{"zero-width space and joiners at the ends", "\u200b\u200d3407990010010001\u200c\u2060", false, "3407990010010001", damageNone, 0},
		{"ideographic and no-break spaces", "\u3000\u00a03407990010010001\u00a0\u3000", false, "3407990010010001", damageNone, 0},
		{"C1 control and DEL at the ends", "\u00853407990010010001\x7f\u009f", false, "3407990010010001", damageNone, 0},
		{"line breaks at the ends", "\r\n3407990010010001\r\n", false, "3407990010010001", damageNone, 0},
		{"directional marks", "\u200e3407990010010001\u200f", false, "3407990010010001", damageNone, 0},
		{"zero-width inside an identifier is removed", "34079900\u200b10010001", false, "3407990010010001", damageNone, 0},
		{"soft hyphen inside", "3407990010\u00ad010001", false, "3407990010010001", damageNone, 0},
		{"NUL inside an identifier", "34079900\x0010010001", false, "", damageControl, 0},
		{"tab inside an identifier", "34079900\t10010001", false, "", damageControl, '\t'},
		{"line break inside an identifier", "34079900\n10010001", false, "", damageControl, '\n'},
		{"C1 control inside an identifier", "34079900\u008510010001", false, "", damageControl, 0x85},
		{"DEL inside an identifier", "34079900\x7f10010001", false, "", damageControl, 0x7f},
		{"Alt+Enter in an address", "示例县\n测试路1号", true, "示例县 测试路1号", damageNone, 0},
		{"CRLF and blanks around it", "示例县 \r\n  测试路1号", true, "示例县 测试路1号", damageNone, 0},
		{"tabs in free text", "示例县\t\t测试路", true, "示例县 测试路", damageNone, 0},
		{"line separator in free text", "示例县\u2028测试路", true, "示例县 测试路", damageNone, 0},
		{"other controls removed from free text", "王\x00测\x07一\u0090", true, "王测一", damageNone, 0},
		{"ideographic space inside free text", "示例县\u3000测试路", true, "示例县 测试路", damageNone, 0},
		{"invisible inside free text", "王\u200b测一", true, "王测一", damageNone, 0},
		{"invalid UTF-8", "\xc8\xcb\xc3\xf1\xff", true, "", damageUTF8, 0},
		{"half a GBK character decoded as U+FFFD", "示例县\ufffd", true, "", damageReplace, 0},
		{"U+FFFD in an identifier", "340799001001000\ufffd", false, "", damageReplace, 0},
		{"only padding", "\x00\x00 \t\u3000", false, "", damageNone, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, dmg, r := cleanValue(c.in, c.free)
			if dmg != c.dmg || (dmg == damageNone && got != c.want) || (dmg == damageControl && r != c.r) {
				t.Errorf("cleanValue(%q, %v) = %q, %v, %U; want %q, %v, %U", c.in, c.free, got, dmg, r, c.want, c.dmg, c.r)
			}
		})
	}
}

func TestCleanValueDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"3407990010010001", "示例县人民医院", " 12,345.60元 ", "2026年3月5日"} {
		if n := testing.AllocsPerRun(100, func() { cleanValue(s, true); cleanValue(s, false) }); n != 0 {
			t.Errorf("cleanValue(%q): %v allocations, want 0", s, n)
		}
	}
}

func TestUnprotect(t *testing.T) {
	cases := []struct {
		name, in   string
		apostrophe bool
		want       string
	}{
		{"formula-text wrapper", `="340799196005010116"`, true, "340799196005010116"},
		{"formula-text wrapper on free text", `="王测一"`, false, "王测一"},
		{"wrapper with blanks inside", `=" 3407990010010001 "`, true, "3407990010010001"},
		{"doubled quote inside", `="a""b"`, false, `a"b`},
		{"a formula is not a wrapper", `="a"&"b"`, false, `="a"&"b"`},
		{"empty wrapper is empty text", `=""`, true, ""},
		{"leading apostrophe", "'340799196005010116", true, "340799196005010116"},
		{"apostrophe and wrapper", `="'3407990010010001"`, true, "3407990010010001"},
		{"typographic apostrophe", "’340799196005010116", true, "340799196005010116"},
		{"left quotation mark", "‘340799196005010116", true, "340799196005010116"},
		{"full-width apostrophe", "＇3407990010010001", true, "3407990010010001"},
		{"apostrophe kept in free text", "'s Hertogenbosch", false, "'s Hertogenbosch"},
		{"one apostrophe only", "''1", true, "'1"},
		{"plain", "3407990010010001", true, "3407990010010001"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := unprotect(c.in, c.apostrophe); got != c.want {
				t.Errorf("unprotect(%q, %v) = %q, want %q", c.in, c.apostrophe, got, c.want)
			}
		})
	}
}

func TestTrimSpace(t *testing.T) {
	for in, want := range map[string]string{
		" a ": "a", "\u3000名\u3000": "名", "\u00a0x\u00a0": "x", "\t\r\n": "", "元 ": "元", "": "", "a b": "a b",
		"\x00a\x00": "a", "\ufeffa": "a", "a\u200b": "a", "\xffa\xff": "\xffa\xff",
	} {
		if got := trimSpace(in); got != want {
			t.Errorf("trimSpace(%q) = %q, want %q", in, got, want)
		}
	}
}
