package config

import (
	"strings"
	"testing"
)

// A password in a URL or a DSN never shows in a message or a snippet,
// whatever the key it is written under (break-test of issue 12: a `dsn:`
// option — the sql kind takes dsn_env — and an http `url:` with
// user:password@ on a line that is not YAML).
func TestPasswordsInURLsNotShown(t *testing.T) {
	const head = "county:\n  code: \"320102\"\n"
	for name, src := range map[string]string{
		"dsn option": head + "sources:\n  fishers:\n    kind: sql\n    dataset: fishers\n    options:\n      query: SELECT 1\n" +
			"      dsn: postgres://reader:Hunter2pw@db:5432/x\n",
		"url on a broken line": head + "sources:\n  api:\n    kind: http\n    dataset: medical\n    options:\n" +
			"      url: http://admin:Hunter2pw@example.gov.cn/api: x\n",
		"url value of the wrong type": head + "sources:\n  api:\n    kind: http\n    dataset: medical\n    options:\n" +
			"      url: [http://admin:Hunter2pw@example.gov.cn/api]\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(src))
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), "Hunter2pw") {
				t.Errorf("the password shows:\n%v", err)
			}
			if !strings.Contains(err.Error(), "c.yaml:") {
				t.Errorf("no place:\n%v", err)
			}
		})
	}
}
