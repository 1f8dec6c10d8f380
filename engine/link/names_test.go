package link

import "testing"

func TestNormalizeName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"张伟", "张伟"},
		{"張偉", "张伟"},         // traditional
		{"陳 國華", "陈国华"},      // a space, traditional
		{"王　芳", "王芳"},        // a full-width space
		{" 李娜\t", "李娜"},      // around
		{"买买提•艾力", "买买提·艾力"}, // the separator of a minority name
		{"买买提.艾力", "买买提·艾力"},
		{"ＷＡＮＧ", "WANG"}, // full-width letters
		{"", ""},
		{"  ", ""},
	} {
		got, err := NormalizeName(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPinyin(t *testing.T) {
	same := [][2]string{{"张伟", "张玮"}, {"李丽", "李莉"}, {"陈国华", "陈国桦"}}
	for _, p := range same {
		if Pinyin(p[0]) != Pinyin(p[1]) {
			t.Errorf("%s %q and %s %q should read the same", p[0], Pinyin(p[0]), p[1], Pinyin(p[1]))
		}
	}
	if got := Pinyin("张伟"); got != "zhang wei" {
		t.Errorf("Pinyin(张伟) = %q", got)
	}
	if Pinyin("张伟") == Pinyin("张强") {
		t.Error("张伟 and 张强 read differently")
	}
	if got := Pinyin("买买提·艾力"); got != "mai mai ti · ai li" {
		t.Errorf("Pinyin keeps the dot: %q", got)
	}
}
