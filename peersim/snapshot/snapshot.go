package snapshot

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chaincodekit/chaincodekit/peersim/channel"
	"github.com/chaincodekit/chaincodekit/peersim/ledger"
)

// FormatName is the "format" of every snapshot document.
const FormatName = "peersim-snapshot"

// FormatVersion is the version this package writes and the only one it
// reads.
const FormatVersion = 1

// ErrInvalid is wrapped by every refusal of a snapshot or fixture file.
var ErrInvalid = errors.New("invalid snapshot")

// File is a snapshot document: every channel of a peer.
type File struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// MSPID is the organisation of the peer that wrote it: the clear
	// private data is that of the collections it is a member of.
	MSPID    string    `json:"mspid"`
	Channels []Channel `json:"channels"`
}

// Channel is one channel of a snapshot.
type Channel struct {
	Name string `json:"name"`
	ledger.Export
}

// New returns a snapshot of the given channels' exports, for a peer of
// mspID, with the channels sorted by name.
func New(mspID string, exports map[string]*ledger.Export) *File {
	f := &File{Format: FormatName, Version: FormatVersion, MSPID: mspID, Channels: []Channel{}}
	for _, name := range slices.Sorted(maps.Keys(exports)) {
		f.Channels = append(f.Channels, Channel{Name: name, Export: *exports[name]})
	}
	return f
}

// Exports returns the channels' exports by name.
func (f *File) Exports() map[string]*ledger.Export {
	out := make(map[string]*ledger.Export, len(f.Channels))
	for i := range f.Channels {
		out[f.Channels[i].Name] = &f.Channels[i].Export
	}
	return out
}

// Validate reports the first reason the document cannot be restored,
// wrapping ErrInvalid.
func (f *File) Validate() error {
	switch {
	case f.Format != FormatName:
		return fmt.Errorf("%w: format %q, want %q: not a peersim snapshot", ErrInvalid, f.Format, FormatName)
	case f.Version != FormatVersion:
		return fmt.Errorf("%w: format version %d: this peersim reads version %d only; write the snapshot again with this peersim (peersim ledger snapshot)",
			ErrInvalid, f.Version, FormatVersion)
	case f.MSPID == "":
		return fmt.Errorf("%w: mspid is empty: it names the organisation whose private data the snapshot holds", ErrInvalid)
	}
	seen := map[string]bool{}
	for i, c := range f.Channels {
		if err := channel.ValidateName(c.Name); err != nil {
			return fmt.Errorf("%w: channels[%d]: %v", ErrInvalid, i, err)
		}
		if seen[c.Name] {
			return fmt.Errorf("%w: channel %s appears twice", ErrInvalid, c.Name)
		}
		seen[c.Name] = true
		if err := ledger.CheckExport(&c.Export); err != nil {
			return fmt.Errorf("%w: channel %s: %v", ErrInvalid, c.Name, err)
		}
	}
	return nil
}

// Write writes f to w as gzip'd JSON. The same document always gives the
// same bytes.
func Write(w io.Writer, f *File) error {
	zw := gzip.NewWriter(w) // an empty header: no name, no time
	enc := json.NewEncoder(zw)
	if err := enc.Encode(f); err != nil {
		zw.Close()
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// Read reads and validates a snapshot written by Write.
func Read(r io.Reader) (*File, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err != nil || !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return nil, fmt.Errorf("%w: not gzip data (a snapshot is the gzip'd JSON that peersim ledger snapshot writes)", ErrInvalid)
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	defer zr.Close()
	dec := json.NewDecoder(zr)
	dec.DisallowUnknownFields()
	f := &File{}
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the document", ErrInvalid)
	}
	// Reading to the end checks the gzip checksum.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// ReadFile reads and validates the snapshot at path.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	defer fh.Close()
	f, err := Read(fh)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return f, nil
}

// WriteFile writes f to path, through a temporary file renamed into
// place, so that path is never half written.
func WriteFile(path string, f *File) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := Write(tmp, f); err != nil {
		tmp.Close()
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	return nil
}

// ParseFixtureSpec splits a fixture flag, CHANNEL=FILE or FILE (for
// defaultChannel).
func ParseFixtureSpec(spec, defaultChannel string) (channelName, path string, err error) {
	if name, file, ok := strings.Cut(spec, "="); ok && channel.ValidateName(name) == nil {
		channelName, path = name, file
	} else {
		channelName, path = defaultChannel, spec
	}
	if path == "" {
		return "", "", fmt.Errorf("fixture %q: no file: give CHANNEL=FILE or FILE", spec)
	}
	return channelName, path, nil
}
