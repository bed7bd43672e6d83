package seal

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/faceprint/faceprint/internal/blob"
)

func TestSealRoundTripAndTamper(t *testing.T) {
	key, err := ParseKey("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New(key)
	plain := []byte(`{"name":"张三","idcard_number":"11010119900307803X"}`)
	ct := s.Seal(plain)
	if bytes.Contains(ct, []byte("11010119900307803X")) {
		t.Fatal("sealed value holds the plain text")
	}
	if got, err := s.Open(ct); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("%s %v", got, err)
	}
	ct[len(ct)-3] ^= 1
	if _, err := s.Open(ct); err == nil {
		t.Fatal("tampered value opened")
	}
	if got, _ := s.Open(plain); !bytes.Equal(got, plain) {
		t.Fatal("legacy plain value not passed through")
	}
	var none *Sealer
	if _, err := none.Open(s.Seal(plain)); err == nil {
		t.Fatal("sealed value opened without a key")
	}
	if _, err := ParseKey("short"); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestSealedBlobsOnDisk(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s, _ := New(key)
	dir := t.TempDir()
	l, _ := blob.NewLocal(dir)
	b := Blobs{Store: l, S: s}
	ctx := context.Background()
	img := []byte("\xff\xd8\xff face image bytes")
	if err := b.Put(ctx, "s/abc/face.jpg", img); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "s", "abc", "face.jpg"))
	if bytes.Contains(raw, []byte("face image bytes")) {
		t.Fatal("image stored in clear")
	}
	if got, err := b.Get(ctx, "s/abc/face.jpg"); err != nil || !bytes.Equal(got, img) {
		t.Fatalf("%v", err)
	}
}
