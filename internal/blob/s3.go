package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// S3 stores objects in a bucket of an S3-compatible service (AWS S3, MinIO,
// Ceph RGW, SeaweedFS, …) under a key prefix, so that every replica of a
// cluster sees the same blobs.
//
// The client is minio-go: one module with a small, stable object API and
// path-style addressing for non-AWS endpoints by default. aws-sdk-go-v2 would
// do too, but its S3 client is a large generated package spread over a
// dozen modules, for the four calls used here.
type S3 struct {
	c       *minio.Client
	bucket  string
	prefix  string // "" or ending in "/"
	sse     encrypt.ServerSide
	timeout time.Duration // bound of one operation, retries included
}

// S3 defaults: an operation gives up after opTimeout, whatever the retries.
const (
	defaultS3Timeout = 30 * time.Second
	defaultS3Retries = 3
)

// Open returns the blob store a URL names: "" or a plain path is a local
// folder (localDir when empty); "s3://bucket/prefix?…" is NewS3.
func Open(blobURL, localDir string) (Store, error) {
	switch {
	case strings.HasPrefix(blobURL, "s3://"):
		return NewS3(blobURL)
	case strings.HasPrefix(blobURL, "file://"):
		return NewLocal(strings.TrimPrefix(blobURL, "file://"))
	case blobURL == "":
		return NewLocal(localDir)
	case strings.Contains(blobURL, "://"):
		return nil, fmt.Errorf("blob_url %q: want s3://bucket/prefix or a folder", blobURL)
	default:
		return NewLocal(blobURL)
	}
}

// NewS3 connects to the bucket a URL names:
//
//	s3://BUCKET[/PREFIX]?endpoint=https://host:port&region=R&sse=AES256|aws:kms&kms_key=ID&path_style=true&timeout=30s&retries=3
//
// endpoint defaults to AWS (s3.amazonaws.com); a bare host:port means HTTPS.
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
// (and AWS_SESSION_TOKEN), never from the URL, so the URL can be logged and
// kept in a config file. sse asks the service to encrypt objects at rest
// (SSE-S3 or SSE-KMS; reading needs no key). The bucket must exist: creating
// it is a deployment decision (region, policy, lifecycle), not a server's.
func NewS3(raw string) (*S3, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("blob_url: %w", err)
	}
	if u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("blob_url %q: want s3://bucket/prefix", raw)
	}
	if err := s3utils.CheckValidBucketName(u.Host); err != nil {
		return nil, fmt.Errorf("blob_url: bucket %q: %w", u.Host, err)
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "endpoint", "region", "sse", "kms_key", "path_style", "timeout", "retries":
		default:
			return nil, fmt.Errorf("blob_url: unknown parameter %q", k)
		}
	}
	endpoint, secure := "s3.amazonaws.com", true
	if e := q.Get("endpoint"); e != "" {
		if strings.Contains(e, "://") {
			eu, err := url.Parse(e)
			if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" {
				return nil, fmt.Errorf("blob_url: endpoint %q: want http(s)://host[:port]", e)
			}
			endpoint, secure = eu.Host, eu.Scheme == "https"
		} else {
			endpoint = e
		}
	}
	timeout, retries := defaultS3Timeout, defaultS3Retries
	if v := q.Get("timeout"); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil || timeout <= 0 {
			return nil, fmt.Errorf("blob_url: timeout %q: want a positive duration", v)
		}
	}
	if v := q.Get("retries"); v != "" {
		if retries, err = strconv.Atoi(v); err != nil || retries < 0 || retries > 10 {
			return nil, fmt.Errorf("blob_url: retries %q: want 0–10", v)
		}
	}
	var sse encrypt.ServerSide
	switch v := q.Get("sse"); v {
	case "":
	case "AES256":
		sse = encrypt.NewSSE()
	case "aws:kms":
		if sse, err = encrypt.NewSSEKMS(q.Get("kms_key"), nil); err != nil {
			return nil, fmt.Errorf("blob_url: sse: %w", err)
		}
	default:
		return nil, fmt.Errorf("blob_url: sse %q: want AES256 or aws:kms", v)
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		return nil, errors.New("blob_url s3://…: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	lookup := minio.BucketLookupAuto
	if v := q.Get("path_style"); v == "true" || v == "1" {
		lookup = minio.BucketLookupPath
	}
	// Bounded at every step: a hung S3 endpoint must not hold request
	// goroutines for the lifetime of a TCP connection.
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
	}
	c, err := minio.New(endpoint, &minio.Options{
		Creds: credentials.NewEnvAWS(), Secure: secure, Region: q.Get("region"), BucketLookup: lookup,
		Transport: tr, MaxRetries: retries + 1, // minio counts attempts
	})
	if err != nil {
		return nil, fmt.Errorf("blob_url: %w", err)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3{c: c, bucket: u.Host, prefix: prefix, sse: sse, timeout: timeout}, nil
}

// Check verifies the bucket is reachable with these credentials (at start, so
// a misconfiguration fails the deployment instead of the first user).
func (s *S3) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3 bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("s3 bucket %s does not exist", s.bucket)
	}
	return nil
}

func (s *S3) object(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("invalid blob key %q", key)
	}
	return s.prefix + key, nil
}

// Put uploads an object in one request (blobs are images and short videos,
// far below the multipart threshold). S3 PUTs are atomic: readers see the
// old object or the new one, never half of it.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err = s.c.PutObject(ctx, s.bucket, obj, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", ServerSideEncryption: s.sse, DisableMultipart: true})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Get downloads an object; ErrNotFound when it does not exist.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	o, err := s.c.GetObject(ctx, s.bucket, obj, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.getErr(key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		return nil, s.getErr(key, err)
	}
	return b, nil
}

func (s *S3) getErr(key string, err error) error {
	if r := minio.ToErrorResponse(err); r.Code == minio.NoSuchKey || (r.StatusCode == http.StatusNotFound && r.Code != minio.NoSuchBucket) {
		return ErrNotFound
	}
	return fmt.Errorf("get %s: %w", key, err)
}

// DeletePrefix removes the object named prefix and every object under
// prefix/ (a session's folder), like removing a folder: "s/ab" does not
// touch "s/abc/…".
func (s *S3) DeletePrefix(ctx context.Context, prefix string) error {
	obj, err := s.object(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	objs := make(chan minio.ObjectInfo)
	listed := make(chan error, 1)
	go func() {
		defer close(objs)
		send := func(o minio.ObjectInfo) bool {
			select {
			case objs <- o:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send(minio.ObjectInfo{Key: obj}) {
			listed <- ctx.Err()
			return
		}
		for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: obj + "/", Recursive: true}) {
			if o.Err != nil {
				listed <- o.Err
				return
			}
			if !send(o) {
				listed <- ctx.Err()
				return
			}
		}
		listed <- nil
	}()
	var errs []error
	for r := range s.c.RemoveObjects(ctx, s.bucket, objs, minio.RemoveObjectsOptions{}) {
		if r.Err != nil && minio.ToErrorResponse(r.Err).Code != minio.NoSuchKey {
			errs = append(errs, fmt.Errorf("%s: %w", r.ObjectName, r.Err))
		}
	}
	cancel() // should RemoveObjects stop reading early, release the lister
	if err := <-listed; err != nil {
		errs = append(errs, fmt.Errorf("list: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete %s: %w", prefix, err)
	}
	return nil
}
