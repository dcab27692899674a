package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// boltStore is the persistent backend: one bbolt file per channel. A batch
// is one bbolt read-write transaction, so a crash at any point leaves the
// file at the previous batch.
type boltStore struct {
	db *bolt.DB
}

func openBoltStore(path string) (*boltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open ledger file %s: still locked after 5s; is another peer using this data directory? %w", path, err)
		}
		return nil, fmt.Errorf("open ledger file %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("initialise ledger file %s: %w", path, err)
	}
	return &boltStore{db: db}, nil
}

func (s *boltStore) snapshot() (snapshot, error) {
	tx, err := s.db.Begin(false)
	if err != nil {
		if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("begin read transaction: %w", err)
	}
	return &boltSnapshot{tx: tx}, nil
}

func (s *boltStore) apply(b *batch) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for i, o := range b.ops {
			if b.hook != nil {
				if err := b.hook(i); err != nil {
					return err
				}
			}
			bk := tx.Bucket([]byte(o.bucket))
			var err error
			if o.del {
				err = bk.Delete(o.key)
			} else {
				err = bk.Put(o.key, o.value)
			}
			if err != nil {
				return fmt.Errorf("write %s key %x: %w", o.bucket, o.key, err)
			}
		}
		return nil
	})
}

func (s *boltStore) close() error { return s.db.Close() }

type boltSnapshot struct {
	tx *bolt.Tx
}

func (s *boltSnapshot) get(bucket string, key []byte) ([]byte, error) {
	return s.tx.Bucket([]byte(bucket)).Get(key), nil
}

func (s *boltSnapshot) scan(bucket string, start, end []byte) cursor {
	return &boltCursor{c: s.tx.Bucket([]byte(bucket)).Cursor(), start: start, end: end}
}

func (s *boltSnapshot) release() { _ = s.tx.Rollback() }

type boltCursor struct {
	c          *bolt.Cursor
	start, end []byte
	started    bool
	done       bool
}

func (c *boltCursor) next() ([]byte, []byte, bool, error) {
	if c.done {
		return nil, nil, false, nil
	}
	var k, v []byte
	if !c.started {
		c.started = true
		k, v = c.c.Seek(c.start)
	} else {
		k, v = c.c.Next()
	}
	if k == nil || (c.end != nil && bytes.Compare(k, c.end) >= 0) {
		c.done = true
		return nil, nil, false, nil
	}
	return k, v, true, nil
}

func (c *boltCursor) close() { c.done = true }
