package metadata

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
)

//go:embed schema.json
var documentSchema []byte

// GetJSONSchema returns the JSON schema a metadata document must satisfy.
func GetJSONSchema() []byte {
	return append([]byte(nil), documentSchema...)
}

// ValidateAgainstSchema checks that a metadata document has the shape the
// metadata schema demands: info with a title and version, contracts each
// with a name and a transactions list, transactions with a name, parameters
// with a name and a schema, licences with a name, components with an $id and
// properties. The error names every offending field by its path.
func ValidateAgainstSchema(md ContractChaincodeMetadata) error {
	var problems []string
	add := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}
	checkInfo := func(path string, info *InfoMetadata) {
		if info == nil {
			add(path, "info is required")
			return
		}
		if info.Title == "" {
			add(path+".title", "title is required")
		}
		if info.Version == "" {
			add(path+".version", "version is required")
		}
		if info.License != nil && info.License.Name == "" {
			add(path+".license.name", "name is required")
		}
	}
	checkInfo("info", md.Info)
	if md.Contracts == nil {
		add("contracts", "contracts is required")
	}
	for _, key := range sortedKeys(md.Contracts) {
		c := md.Contracts[key]
		path := "contracts." + key
		if c.Name == "" {
			add(path+".name", "name is required")
		}
		if c.Info != nil {
			checkInfo(path+".info", c.Info)
		}
		if c.Transactions == nil {
			add(path+".transactions", "transactions is required")
		}
		for ti, tx := range c.Transactions {
			tpath := fmt.Sprintf("%s.transactions.%d", path, ti)
			if tx.Name == "" {
				add(tpath+".name", "name is required")
			}
			seen := map[string]bool{}
			for pi, p := range tx.Parameters {
				ppath := fmt.Sprintf("%s.parameters.%d", tpath, pi)
				if p.Name == "" {
					add(ppath+".name", "name is required")
				} else if seen[p.Name] {
					add(ppath+".name", "parameter name %s is used twice", p.Name)
				}
				seen[p.Name] = true
				if p.Schema == nil {
					add(ppath+".schema", "schema is required")
				}
			}
		}
	}
	for _, key := range sortedKeys(md.Components.Schemas) {
		obj := md.Components.Schemas[key]
		path := "components.schemas." + key
		if obj.ID == "" {
			add(path+".$id", "$id is required")
		}
		if obj.Properties == nil {
			add(path+".properties", "properties is required")
		}
	}
	if len(problems) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("cannot use metadata, it does not match the metadata schema:")
	for i, p := range problems {
		fmt.Fprintf(&b, "\n%d. %s", i+1, p)
	}
	return errors.New(b.String())
}
