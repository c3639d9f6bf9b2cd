package roster

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseYAML reads a YAML roster:
//
//	employees:
//	  - id: E1001
//	    name: Jeanne Dupont
//	    department: Communication
//	    region: Île-de-France
//	    handles:
//	      twitter: jdupont
//	      mastodon: [jdupont@mastodon.social]
//	official:
//	  - name: Acme France
//	    handles: {twitter: acmefr}
//	domains: [acme.com, acme.fr]
func (b *builder) parseYAML(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return b.errf(0, "", "file is empty")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return b.errf(0, "", "%v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return b.errf(0, "", "file is empty")
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return b.errf(root.Line, "", "want a mapping with employees, official and domains")
	}
	for k, v := range pairs(root) {
		var err error
		switch k.Value {
		case "employees":
			err = b.yamlList(v, "employees", b.yamlEmployee)
		case "official", "officials", "official_accounts":
			err = b.yamlList(v, k.Value, b.yamlOfficial)
		case "domains", "corporate_domains":
			err = b.yamlList(v, k.Value, func(n *yaml.Node, field string) error {
				if n.Kind != yaml.ScalarNode {
					return b.errf(n.Line, field, "want a domain name")
				}
				return b.addDomain(n.Line, field, n.Value)
			})
		default:
			err = b.errf(k.Line, k.Value, "unknown key (want employees, official or domains)")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// yamlList calls fn with every item of a sequence; null is an empty list.
func (b *builder) yamlList(n *yaml.Node, field string, fn func(*yaml.Node, string) error) error {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return b.errf(n.Line, field, "want a list")
	}
	for i, item := range n.Content {
		if err := fn(deref(item), fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) yamlEmployee(n *yaml.Node, field string) error {
	if n.Kind != yaml.MappingNode {
		return b.errf(n.Line, field, "want a mapping with id, name, department, region and handles")
	}
	var e Employee
	var hs []rawHandle
	idKey := "id"
	for k, v := range pairs(n) {
		f := field + "." + k.Value
		var dst *string
		switch k.Value {
		case "id", "employee_id":
			dst, idKey = &e.ID, k.Value
		case "name":
			dst = &e.Name
		case "department":
			dst = &e.Department
		case "region":
			dst = &e.Region
		case "handles":
			var err error
			if hs, err = b.yamlHandles(v, f); err != nil {
				return err
			}
			continue
		default:
			return b.errf(k.Line, f, "unknown key (want id, name, department, region or handles)")
		}
		s, err := b.scalar(v, f)
		if err != nil {
			return err
		}
		*dst = s
	}
	return b.addEmployee(n.Line, field+".", idKey, e, hs)
}

func (b *builder) yamlOfficial(n *yaml.Node, field string) error {
	if n.Kind != yaml.MappingNode {
		return b.errf(n.Line, field, "want a mapping with name and handles")
	}
	var a Account
	var hs []rawHandle
	for k, v := range pairs(n) {
		f := field + "." + k.Value
		switch k.Value {
		case "name":
			s, err := b.scalar(v, f)
			if err != nil {
				return err
			}
			a.Name = s
		case "handles":
			var err error
			if hs, err = b.yamlHandles(v, f); err != nil {
				return err
			}
		default:
			return b.errf(k.Line, f, "unknown key (want name or handles)")
		}
	}
	return b.addOfficial(n.Line, field+".", a, hs)
}

// yamlHandles reads "network: handle", "network: [h1, h2]" pairs.
func (b *builder) yamlHandles(n *yaml.Node, field string) ([]rawHandle, error) {
	n = deref(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, b.errf(n.Line, field, "want a mapping of network to handles, e.g. twitter: jdupont")
	}
	var hs []rawHandle
	for k, v := range pairs(n) {
		f := field + "." + k.Value
		v = deref(v)
		var items []*yaml.Node
		switch v.Kind {
		case yaml.ScalarNode:
			items = []*yaml.Node{v}
		case yaml.SequenceNode:
			items = v.Content
		default:
			return nil, b.errf(v.Line, f, "want a handle or a list of handles")
		}
		for i, it := range items {
			it = deref(it)
			if it.Kind != yaml.ScalarNode {
				return nil, b.errf(it.Line, fmt.Sprintf("%s[%d]", f, i), "want a handle")
			}
			if isNull(it) {
				continue
			}
			hs = append(hs, rawHandle{network: k.Value, handle: it.Value, line: it.Line, field: f})
		}
	}
	return hs, nil
}

// scalar returns the text of a scalar node; null is "".
func (b *builder) scalar(n *yaml.Node, field string) (string, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		return "", b.errf(n.Line, field, "want a single value")
	}
	if isNull(n) {
		return "", nil
	}
	return n.Value, nil
}

// pairs yields the keys and values of a mapping node.
func pairs(n *yaml.Node) func(yield func(k, v *yaml.Node) bool) {
	return func(yield func(k, v *yaml.Node) bool) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !yield(deref(n.Content[i]), n.Content[i+1]) {
				return
			}
		}
	}
}

// deref follows aliases (a bounded number of times).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n != nil && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || (n.Tag == "" && strings.TrimSpace(n.Value) == ""))
}
