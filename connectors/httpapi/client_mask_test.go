package httpapi

import (
	"strings"
	"testing"
)

func TestErrorExcerptsHideNumbers(t *testing.T) {
	got := mask(`{"error":"no record for 11010519491231002X, phone 13800138000","token":"abc"}`, []string{"abc"})
	if strings.Contains(got, "11010519491231002") || strings.Contains(got, "13800138000") || strings.Contains(got, "abc") {
		t.Errorf("excerpt reveals data: %s", got)
	}
}
