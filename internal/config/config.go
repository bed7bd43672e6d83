// Package config is faceprint's one typed configuration: defaults, a YAML
// file, environment variables and flags, in that order of precedence (lowest first).
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is everything `faceprint serve` needs.
type Config struct {
	Addr    string `yaml:"addr"`     // listen address, default 127.0.0.1:8080 (FACEPRINT_ADDR)
	DataDir string `yaml:"data_dir"` // SQLite file, blobs, admin token (FACEPRINT_DATA_DIR)
	DB      string `yaml:"db"`       // postgres://… switches from SQLite to PostgreSQL (FACEPRINT_DB)
	BlobDir string `yaml:"blob_dir"` // default DATA_DIR/blobs
	// BlobURL s3://bucket/prefix?endpoint=…&region=…&sse=AES256 keeps blobs in
	// S3-compatible storage, shared by replicas (FACEPRINT_BLOB_URL; credentials
	// from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Empty: the BlobDir folder.
	BlobURL    string `yaml:"blob_url"`
	ModelsDir  string `yaml:"models_dir"`  // runtime + models (FACEPRINT_MODELS_DIR), default ./models
	PublicURL  string `yaml:"public_url"`  // base URL printed in H5 links; default http://ADDR
	AdminToken string `yaml:"admin_token"` // protects /admin/api; default: generated into DATA_DIR/admin.token (FACEPRINT_ADMIN_TOKEN)
	SigningKey string `yaml:"signing_key"` // HMAC key for media URLs; default generated into DATA_DIR/signing.key (shared by replicas: set it)
	PIIKey     string `yaml:"pii_key"`     // 32 bytes (hex or base64): encrypt session records and images at rest (FACEPRINT_PII_KEY)

	TLSCert string `yaml:"tls_cert"` // serve HTTPS with these files
	TLSKey  string `yaml:"tls_key"`

	MaxBodyBytes  int64         `yaml:"max_body_bytes"` // default 16 MiB
	DefaultQPS    int           `yaml:"default_qps"`    // per-app limit for the whole cluster (internal/ratelimit), default 200
	MediaTTL      time.Duration `yaml:"media_ttl"`      // signed media URL lifetime, default 1h
	PurgeInterval time.Duration `yaml:"purge_interval"` // retention purge period, default 1m
	// AbandonAfter: a started session idle this long is abandoned (default 20m; negative: never, sessions only expire).
	AbandonAfter   time.Duration `yaml:"abandon_after"`
	ShutdownGrace  time.Duration `yaml:"shutdown_grace"`   // graceful shutdown window, default 15s
	InferWorkers   int           `yaml:"infer_workers"`    // concurrent inferences per replica, default = CPUs
	InferQueueWait time.Duration `yaml:"infer_queue_wait"` // max wait for an inference slot before error 18, default 3s
	LogLevel       string        `yaml:"log_level"`        // debug, info, warn, error

	// Authorities are the reference-face sources plans name with compare_source: authority.
	Authorities []Authority `yaml:"authorities"`
}

// Authority configures one external source of reference faces.
type Authority struct {
	Name string `yaml:"name"` // what plans put in "authority"
	// Type is "gateway" (the signed JSON protocol of docs/authority-protocol.md)
	// or "baidu" (another Baidu-compatible server's /rest/2.0/face/v3/person/verify, e.g. a second faceprint).
	Type      string        `yaml:"type"`
	URL       string        `yaml:"url"`
	KeyID     string        `yaml:"key_id"`     // gateway
	Secret    string        `yaml:"secret"`     // gateway HMAC secret
	APIKey    string        `yaml:"api_key"`    // baidu
	SecretKey string        `yaml:"secret_key"` // baidu
	SendLive  bool          `yaml:"send_live"`  // gateway compares the live face itself
	Timeout   time.Duration `yaml:"timeout"`
	Retries   int           `yaml:"retries"`
}

// Defaults returns the embedded defaults.
func Defaults() Config {
	return Config{
		Addr: "127.0.0.1:8080", DataDir: "./data", ModelsDir: "./models",
		MaxBodyBytes: 16 << 20, DefaultQPS: 200, MediaTTL: time.Hour, PurgeInterval: time.Minute,
		ShutdownGrace: 15 * time.Second, InferQueueWait: 3 * time.Second, LogLevel: "info",
	}
}

// LoadFile merges a YAML file over c (unknown keys are an error).
func (c *Config) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// LoadEnv merges FACEPRINT_* variables over c.
func (c *Config) LoadEnv() {
	for env, dst := range map[string]*string{
		"FACEPRINT_ADDR": &c.Addr, "FACEPRINT_DATA_DIR": &c.DataDir, "FACEPRINT_DB": &c.DB,
		"FACEPRINT_MODELS_DIR": &c.ModelsDir, "FACEPRINT_PUBLIC_URL": &c.PublicURL, "FACEPRINT_BLOB_URL": &c.BlobURL,
		"FACEPRINT_ADMIN_TOKEN": &c.AdminToken, "FACEPRINT_SIGNING_KEY": &c.SigningKey, "FACEPRINT_PII_KEY": &c.PIIKey, "FACEPRINT_LOG_LEVEL": &c.LogLevel,
	} {
		if v := os.Getenv(env); v != "" {
			*dst = v
		}
	}
	if v, err := strconv.Atoi(os.Getenv("FACEPRINT_DEFAULT_QPS")); err == nil {
		c.DefaultQPS = v
	}
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is required"))
	}
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
	if c.PublicURL == "" {
		scheme := "http"
		if c.TLSCert != "" {
			scheme = "https"
		}
		c.PublicURL = scheme + "://" + c.Addr
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert and tls_key go together"))
	}
	if c.MaxBodyBytes < 1<<20 || c.MaxBodyBytes > 256<<20 {
		errs = append(errs, errors.New("max_body_bytes must be within 1–256 MiB"))
	}
	seen := map[string]bool{}
	for _, a := range c.Authorities {
		switch {
		case a.Name == "" || seen[a.Name]:
			errs = append(errs, fmt.Errorf("authority %q: a unique name is required", a.Name))
		case a.Type != "gateway" && a.Type != "baidu":
			errs = append(errs, fmt.Errorf("authority %s: type must be gateway or baidu", a.Name))
		case !strings.HasPrefix(a.URL, "https://") && !strings.HasPrefix(a.URL, "http://"):
			errs = append(errs, fmt.Errorf("authority %s: url must be http(s)", a.Name))
		case a.Type == "gateway" && (a.KeyID == "" || len(a.Secret) < 16):
			errs = append(errs, fmt.Errorf("authority %s: key_id and a secret of at least 16 bytes are required", a.Name))
		case a.Type == "baidu" && (a.APIKey == "" || a.SecretKey == ""):
			errs = append(errs, fmt.Errorf("authority %s: api_key and secret_key are required", a.Name))
		}
		seen[a.Name] = true
	}
	if c.MediaTTL <= 0 || c.PurgeInterval <= 0 || c.ShutdownGrace <= 0 || c.InferQueueWait <= 0 {
		errs = append(errs, errors.New("media_ttl, purge_interval, shutdown_grace and infer_queue_wait must be positive"))
	}
	return errors.Join(errs...)
}

// SQLitePath is the embedded database file.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "faceprint.db") }
