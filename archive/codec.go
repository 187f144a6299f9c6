package archive

import (
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// codec compresses and inflates snapshot documents with one zstd encoder and one
// decoder, shared by every goroutine (EncodeAll and DecodeAll are safe for concurrent
// use). Every frame carries its content size and a checksum.
type codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// newCodec returns a codec writing at level that never inflates past max bytes.
func newCodec(level zstd.EncoderLevel, max int64) (*codec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderMaxMemory(uint64(max)),
		// DecodeAll writes at most cap(dst)-len(dst) bytes: a frame cannot inflate
		// past the size the object's metadata declares.
		zstd.WithDecodeAllCapLimit(true),
	)
	if err != nil {
		enc.Close()
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return &codec{enc: enc, dec: dec}, nil
}

// compress returns doc as one zstd frame.
func (c *codec) compress(doc []byte) []byte {
	return c.enc.EncodeAll(doc, make([]byte, 0, len(doc)/4+64))
}

// inflate returns the document of stored, which must be exactly size bytes.
func (c *codec) inflate(stored []byte, size int64) ([]byte, error) {
	doc, err := c.dec.DecodeAll(stored, make([]byte, 0, size))
	if err != nil {
		return nil, err
	}
	if int64(len(doc)) != size {
		return nil, fmt.Errorf("inflates to %d bytes, not %d", len(doc), size)
	}
	return doc, nil
}

// close releases the encoder's and decoder's resources.
func (c *codec) close() {
	_ = c.enc.Close()
	c.dec.Close()
}
