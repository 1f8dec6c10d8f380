package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAuditActionsListed reads every writer of the audit log in the
// repository (calls of Store.Audit, audit and Store.ApplyOutcomes, and the
// literals assigned to a variable named action) and checks that each
// action it records is in AuditActions, and that each listed action is
// recorded somewhere: `lipwatch audit --action` refuses the others.
func TestAuditActionsListed(t *testing.T) {
	if !slices.IsSorted(AuditActions) {
		t.Errorf("AuditActions is not sorted: %v", AuditActions)
	}
	// The argument that is the action, by the function called.
	actionArg := map[string]int{"Audit": 2, "audit": 3, "ApplyOutcomes": 3}
	written := map[string]string{} // action -> where
	fset := token.NewFileSet()
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "../.." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		literal := func(e ast.Expr) (string, bool) {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(lit.Value)
			return s, err == nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var name string
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				i, ok := actionArg[name]
				if !ok || len(n.Args) <= i {
					return true
				}
				if name == "audit" && len(n.Args) != 6 || name == "Audit" && len(n.Args) != 5 {
					return true // another function of that name
				}
				if s, ok := literal(n.Args[i]); ok {
					written[s] = fset.Position(n.Pos()).String()
				} else if id, ok := n.Args[i].(*ast.Ident); !ok || id.Name != "action" {
					t.Errorf("%s: %s records an action this test cannot read: give it as a literal or a variable named action",
						fset.Position(n.Pos()), name)
				}
			case *ast.AssignStmt:
				for j, lhs := range n.Lhs {
					if id, ok := lhs.(*ast.Ident); ok && id.Name == "action" && j < len(n.Rhs) {
						if s, ok := literal(n.Rhs[j]); ok {
							written[s] = fset.Position(n.Pos()).String()
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for action, where := range written {
		if !slices.Contains(AuditActions, action) {
			t.Errorf("%s: audit action %q is not in AuditActions (engine/store/audit_actions.go)", where, action)
		}
	}
	for _, a := range AuditActions {
		if _, ok := written[a]; !ok {
			t.Errorf("AuditActions lists %q, which nothing records", a)
		}
	}
}
