package compattest_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/chaincodekit/chaincodekit/contractapi"
	"github.com/chaincodekit/chaincodekit/contractapi/metadata"
	"github.com/chaincodekit/chaincodekit/contractapi/serializer"
	"github.com/chaincodekit/chaincodekit/contractapi/utils"
	"github.com/chaincodekit/chaincodekit/shim"
	"github.com/chaincodekit/chaincodekit/shim/cid"
)

// Owner is a nested struct with every way of naming a field.
type Owner struct {
	Name   string `json:"name"`
	Email  string `json:"email" metadata:",optional"`
	Phone  string `metadata:"telephone,optional"`
	Secret string `metadata:"-"`
	Parent *Owner `json:"parent" metadata:",optional"`
	//lint:ignore U1000 an unexported field must stay out of the metadata
	private string
	Tagged  string `metadata:"tagged"`
}

// Base is embedded in Asset.
type Base struct {
	DocType string `json:"docType"`
}

// Asset has one field of each supported kind.
type Asset struct {
	Base
	ID        string            `json:"id"`
	Flag      bool              `json:"flag"`
	I         int               `json:"i"`
	I8        int8              `json:"i8"`
	I16       int16             `json:"i16"`
	I32       int32             `json:"i32"`
	I64       int64             `json:"i64"`
	U         uint              `json:"u"`
	U8        uint8             `json:"u8"`
	U16       uint16            `json:"u16"`
	U32       uint32            `json:"u32"`
	U64       uint64            `json:"u64"`
	F32       float32           `json:"f32"`
	F64       float64           `json:"f64"`
	Raw       []byte            `json:"raw"`
	When      time.Time         `json:"when"`
	Anything  interface{}       `json:"anything"`
	Owner     Owner             `json:"owner"`
	OwnerPtr  *Owner            `json:"ownerPtr" metadata:",optional"`
	Tags      []string          `json:"tags"`
	Fixed     [2]int            `json:"fixed"`
	Labels    map[string]string `json:"labels"`
	Nested    [][]Owner         `json:"nested"`
	ByName    map[string]*Owner `json:"byName"`
	NoJSONTag string
}

// CustomContext adds a helper to the default context.
type CustomContext struct {
	contractapi.TransactionContext
}

// SetStub records the stub, as a context that wraps the stub would.
func (c *CustomContext) SetStub(stub shim.ChaincodeStubInterface) {
	c.TransactionContext.SetStub(stub)
}

// SetClientIdentity records the submitter.
func (c *CustomContext) SetClientIdentity(ci cid.ClientIdentity) {
	c.TransactionContext.SetClientIdentity(ci)
}

// Caller returns the submitter's MSP ID or the reason it is unknown.
func (c *CustomContext) Caller() string {
	id, err := c.GetClientIdentity().GetMSPID()
	if err != nil {
		return "unknown: " + err.Error()
	}
	return id
}

// CustomContextInterface is what AssetContract's functions take.
type CustomContextInterface interface {
	contractapi.TransactionContextInterface
	Caller() string
}

// AssetContract takes and returns every supported type.
type AssetContract struct {
	contractapi.Contract
}

// Create stores an asset.
func (c *AssetContract) Create(ctx CustomContextInterface, asset Asset) error {
	if asset.ID == "" {
		return errors.New("asset id is empty")
	}
	return nil
}

// Read returns an asset by ID.
func (c *AssetContract) Read(ctx CustomContextInterface, id string) (*Asset, error) {
	return &Asset{ID: id}, nil
}

// Scalars takes one of each scalar kind.
func (c *AssetContract) Scalars(b bool, i int, i8 int8, i16 int16, i32 int32, i64 int64, u uint, u8 uint8, u16 uint16, u32 uint32, u64 uint64, f32 float32, f64 float64, s string) string {
	return fmt.Sprint(b, i, i8, i16, i32, i64, u, u8, u16, u32, u64, f32, f64, s)
}

// Collections takes arrays, slices and maps.
func (c *AssetContract) Collections(fixed [3]string, list []Owner, byName map[string]Asset, raw []byte) ([]*Asset, error) {
	return nil, nil
}

// Anything takes and returns interface{} and time.Time.
func (c *AssetContract) Anything(v interface{}, when time.Time) (interface{}, error) {
	return v, nil
}

// Timestamp returns a time.
func (c *AssetContract) Timestamp() time.Time {
	return time.Unix(0, 0).UTC()
}

// Count is an evaluate transaction returning a uint.
func (c *AssetContract) Count(ctx CustomContextInterface) (uint64, error) {
	return 0, nil
}

// Helper is ignored.
func (c *AssetContract) Helper() string { return "not a transaction" }

// GetEvaluateTransactions marks Count and Read as evaluate.
func (c *AssetContract) GetEvaluateTransactions() []string { return []string{"Count", "Read"} }

// GetIgnoredFunctions hides Helper.
func (c *AssetContract) GetIgnoredFunctions() []string { return []string{"Helper"} }

// NoticeContract has hooks and no context.
type NoticeContract struct {
	contractapi.Contract
}

// Post returns nothing.
func (c *NoticeContract) Post(text string) {}

// Peek returns a map of lists.
func (c *NoticeContract) Peek() map[string][]int8 { return nil }

// TxID returns the transaction ID from the stub.
func (c *AssetContract) TxID(ctx CustomContextInterface) string {
	return ctx.GetStub().GetTxID()
}

// Run starts the chaincode the way a main package does.
func Run() error {
	cc, err := contractapi.NewChaincode(Contracts()...)
	if err != nil {
		return err
	}
	cc.Info.Title = "compat"
	cc.DefaultContract = "assets"
	cc.TransactionSerializer = &serializer.JSONSerializer{}
	var _ shim.Chaincode = cc
	var _ contractapi.SettableTransactionContextInterface = new(CustomContext)
	return cc.Start()
}

// Contracts are the contracts of the chaincode.
func Contracts() []contractapi.ContractInterface {
	asset := &AssetContract{}
	asset.Name = "assets"
	asset.Info = metadata.InfoMetadata{
		Title:       "Asset transfer",
		Version:     "1.2.3",
		Description: "moves assets",
		Contact:     &metadata.ContactMetadata{Name: "Ops", Email: "ops@example.com", URL: "https://example.com"},
		License:     &metadata.LicenseMetadata{Name: "Apache-2.0", URL: "https://www.apache.org/licenses/LICENSE-2.0"},
	}
	asset.TransactionContextHandler = new(CustomContext)
	asset.BeforeTransaction = func(ctx CustomContextInterface) error { return nil }
	asset.AfterTransaction = func(ctx CustomContextInterface, result interface{}) error {
		if _, ok := result.(*utils.UndefinedInterface); ok {
			return nil
		}
		return nil
	}

	notice := &NoticeContract{}
	notice.UnknownTransaction = func() (string, error) { return "unknown", nil }
	return []contractapi.ContractInterface{asset, notice}
}
