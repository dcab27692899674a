// Package metadata describes a contract chaincode: its contracts, their
// transactions, and the JSON schemas of parameters, returns and struct types.
// The document it models is what org.hyperledger.fabric:GetMetadata returns
// and what META-INF/metadata.json may supply.
package metadata

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
)

// Locations of a metadata file, relative to the directory of the chaincode executable.
const (
	// MetadataFolder is the folder searched first.
	MetadataFolder = "META-INF"
	// MetadataFolderSecondary is searched when MetadataFolder has no file.
	MetadataFolderSecondary = "contract-metadata"
	// MetadataFile is the file name in either folder.
	MetadataFile = "metadata.json"
)

// ErrNoMetadataFile is returned (wrapped) by ReadMetadataFile when neither
// location holds a metadata file; the chaincode then uses reflected metadata only.
var ErrNoMetadataFile = errors.New("failed to read metadata from file")

// ParameterMetadata describes one parameter of a transaction.
type ParameterMetadata struct {
	Description string  `json:"description,omitempty"`
	Name        string  `json:"name"`
	Schema      *Schema `json:"schema"`
	// CompiledSchema is set by CompileSchemas and used to check arguments.
	CompiledSchema *CompiledSchema `json:"-"`
}

// ReturnMetadata describes the value a transaction returns.
type ReturnMetadata struct {
	Schema *Schema
	// CompiledSchema is set by CompileSchemas and used to check results.
	CompiledSchema *CompiledSchema
}

// TransactionMetadata describes one transaction function. Its return schema
// is written as the "returns" property.
type TransactionMetadata struct {
	Parameters []ParameterMetadata `json:"parameters,omitempty"`
	Returns    ReturnMetadata      `json:"-"`
	Tag        []string            `json:"tag,omitempty"`
	Name       string              `json:"name"`
}

type transactionFields TransactionMetadata

type transactionJSON struct {
	*transactionFields
	Returns *Schema `json:"returns,omitempty"`
}

// MarshalJSON writes the transaction with its return schema as "returns".
func (tm *TransactionMetadata) MarshalJSON() ([]byte, error) {
	return json.Marshal(transactionJSON{transactionFields: (*transactionFields)(tm), Returns: tm.Returns.Schema})
}

// UnmarshalJSON reads a transaction and its "returns" schema.
func (tm *TransactionMetadata) UnmarshalJSON(data []byte) error {
	j := transactionJSON{transactionFields: (*transactionFields)(tm)}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	tm.Returns = ReturnMetadata{Schema: j.Returns}
	return nil
}

// ContactMetadata is who to contact about a contract.
type ContactMetadata struct {
	Name  string `json:"name,omitempty"`
	URL   string `json:"url,omitempty"`
	Email string `json:"email,omitempty"`
}

// LicenseMetadata is the licence a contract is published under.
type LicenseMetadata struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// InfoMetadata is the general information about a chaincode or a contract.
type InfoMetadata struct {
	Description string           `json:"description,omitempty"`
	Title       string           `json:"title,omitempty"`
	Contact     *ContactMetadata `json:"contact,omitempty"`
	License     *LicenseMetadata `json:"license,omitempty"`
	Version     string           `json:"version,omitempty"`
}

// ContractMetadata describes one contract and its transactions.
type ContractMetadata struct {
	Info         *InfoMetadata         `json:"info,omitempty"`
	Name         string                `json:"name"`
	Transactions []TransactionMetadata `json:"transactions"`
	Default      bool                  `json:"default"`
}

// ObjectMetadata is the schema of a struct type, kept in the components.
type ObjectMetadata struct {
	ID                   string            `json:"$id"`
	Properties           map[string]Schema `json:"properties"`
	Required             []string          `json:"required,omitempty"`
	AdditionalProperties bool              `json:"additionalProperties"`
}

// ComponentMetadata holds the struct schemas that other schemas refer to.
type ComponentMetadata struct {
	Schemas map[string]ObjectMetadata `json:"schemas,omitempty"`
}

// ContractChaincodeMetadata is the whole metadata document of a chaincode.
type ContractChaincodeMetadata struct {
	Info       *InfoMetadata               `json:"info,omitempty"`
	Contracts  map[string]ContractMetadata `json:"contracts"`
	Components ComponentMetadata           `json:"components"`
}

// Append fills the parts of ccm that are empty from source, section by
// section: info, contracts, components. A section present in ccm (for
// example read from a metadata file) wins as a whole.
func (ccm *ContractChaincodeMetadata) Append(source ContractChaincodeMetadata) {
	if ccm.Info == nil {
		ccm.Info = source.Info
	}
	if len(ccm.Contracts) == 0 {
		if ccm.Contracts == nil {
			ccm.Contracts = map[string]ContractMetadata{}
		}
		for k, v := range source.Contracts {
			ccm.Contracts[k] = v
		}
	}
	if reflect.DeepEqual(ccm.Components, ComponentMetadata{}) {
		ccm.Components = source.Components
	}
}

// CompileSchemas prepares every parameter and return schema for validation,
// resolving references against the components. It fails, naming the
// contract, transaction and parameter, when a schema uses a keyword this
// package cannot check or refers to a component that does not exist.
func (ccm *ContractChaincodeMetadata) CompileSchemas() error {
	for cname, contract := range ccm.Contracts {
		for ti := range contract.Transactions {
			tx := &contract.Transactions[ti]
			for pi := range tx.Parameters {
				p := &tx.Parameters[pi]
				cs, err := Compile(p.Name, p.Schema, &ccm.Components)
				if err != nil {
					return fmt.Errorf("compile schema of contract %s transaction %s parameter %s: %w", cname, tx.Name, p.Name, err)
				}
				p.CompiledSchema = cs
			}
			if tx.Returns.Schema != nil {
				cs, err := Compile("return", tx.Returns.Schema, &ccm.Components)
				if err != nil {
					return fmt.Errorf("compile schema of contract %s transaction %s return: %w", cname, tx.Name, err)
				}
				tx.Returns.CompiledSchema = cs
			}
		}
		ccm.Contracts[cname] = contract
	}
	return nil
}

// ReadMetadataFile reads META-INF/metadata.json, or failing that
// contract-metadata/metadata.json, from the directory of the running
// executable. When neither exists the error wraps ErrNoMetadataFile.
func ReadMetadataFile() (ContractChaincodeMetadata, error) {
	exe, err := os.Executable()
	if err != nil {
		return ContractChaincodeMetadata{}, fmt.Errorf("%w: locate executable: %w", ErrNoMetadataFile, err)
	}
	return ReadMetadataFileFrom(filepath.Dir(exe))
}

// ReadMetadataFileFrom is ReadMetadataFile for the executable directory dir.
func ReadMetadataFileFrom(dir string) (ContractChaincodeMetadata, error) {
	var path string
	for _, folder := range []string{MetadataFolder, MetadataFolderSecondary} {
		candidate := filepath.Join(dir, folder, MetadataFile)
		if _, err := os.Stat(candidate); err == nil {
			path = candidate
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return ContractChaincodeMetadata{}, fmt.Errorf("stat metadata file %s: %w", candidate, err)
		}
	}
	if path == "" {
		return ContractChaincodeMetadata{}, fmt.Errorf("%w: no %s in %s or %s under %s",
			ErrNoMetadataFile, MetadataFile, MetadataFolder, MetadataFolderSecondary, dir)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ContractChaincodeMetadata{}, fmt.Errorf("read metadata file %s: %w", path, err)
	}
	md := ContractChaincodeMetadata{Contracts: map[string]ContractMetadata{}}
	if err := json.Unmarshal(data, &md); err != nil {
		return ContractChaincodeMetadata{}, fmt.Errorf("parse metadata file %s: %w", path, err)
	}
	return md, nil
}
