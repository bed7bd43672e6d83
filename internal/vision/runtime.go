package vision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibName is the file name of the ONNX Runtime shared library that
// scripts/fetch-models.sh installs (from the onnxruntime-node npm package).
const LibName = "libonnxruntime.so.1"

// LibPath returns where scripts/fetch-models.sh puts the ONNX Runtime
// library under modelsDir.
func LibPath(modelsDir string) string { return filepath.Join(modelsDir, "lib", LibName) }

// ErrNotInstalled reports that the runtime library or a model file is missing.
var ErrNotInstalled = errors.New("vision: runtime or model not installed (run scripts/fetch-models.sh)")

// ORT keeps one global environment per process. Runtime handles are
// reference counted so that several engines (and tests) can open it; the
// environment is destroyed when the last handle closes.
var (
	envMu   sync.Mutex
	envRefs int
	envLib  string
)

// Runtime is a handle on the process-wide ONNX Runtime environment.
type Runtime struct {
	once sync.Once
}

// OpenRuntime initialises ONNX Runtime from the shared library at libPath
// (absolute or relative; it is made absolute). Opening it again in the same
// process returns another handle on the same environment; a different
// library path then is an error, because ORT cannot be loaded twice.
func OpenRuntime(libPath string) (*Runtime, error) {
	abs, err := filepath.Abs(libPath)
	if err != nil {
		return nil, fmt.Errorf("vision: runtime path %q: %w", libPath, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotInstalled, abs, err)
	}
	envMu.Lock()
	defer envMu.Unlock()
	if envRefs > 0 {
		if abs != envLib {
			return nil, fmt.Errorf("vision: runtime already open from %s, cannot open %s", envLib, abs)
		}
		envRefs++
		return &Runtime{}, nil
	}
	if !ort.IsInitialized() {
		ort.SetSharedLibraryPath(abs)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			return nil, fmt.Errorf("vision: initialise ONNX Runtime from %s: %w", abs, err)
		}
	}
	envRefs, envLib = 1, abs
	return &Runtime{}, nil
}

// Close releases this handle; the environment is destroyed with the last one.
// Models loaded through the runtime must be closed first.
func (r *Runtime) Close() error {
	if r == nil {
		return nil
	}
	var err error
	r.once.Do(func() {
		envMu.Lock()
		defer envMu.Unlock()
		envRefs--
		if envRefs == 0 {
			if e := ort.DestroyEnvironment(); e != nil {
				err = fmt.Errorf("vision: destroy ONNX Runtime environment: %w", e)
			}
			envLib = ""
		}
	})
	return err
}

// Version reports the ONNX Runtime version string.
func (r *Runtime) Version() string { return ort.GetVersion() }

// IO names one model input or output and its expected shape. −1 marks a
// dynamic dimension; a nil Shape is not checked.
type IO struct {
	Name  string
	Shape []int64
}

// ModelSpec is what a model file must look like, and how to run it.
type ModelSpec struct {
	Inputs  []IO // in the order Run takes them
	Outputs []IO // in the order Run returns them
	Threads int  // intra-op threads; 0 means 1
}

// Tensor is a float32 tensor in row-major order.
type Tensor struct {
	Shape []int64
	Data  []float32
}

// Model is a loaded ONNX model. Run may be called from several goroutines.
type Model struct {
	path    string
	spec    ModelSpec
	mu      sync.RWMutex // Close waits for running calls
	session *ort.DynamicAdvancedSession
}

// Load opens the model at path after checking that its input and output
// names and shapes match spec. The session runs with spec.Threads intra-op
// threads and without thread spinning (spinning costs 2× on small machines).
func (r *Runtime) Load(path string, spec ModelSpec) (*Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotInstalled, path, err)
	}
	ins, outs, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("vision: read %s: %w", path, err)
	}
	if err := checkIO("input", ins, spec.Inputs); err != nil {
		return nil, fmt.Errorf("vision: %s: %w", filepath.Base(path), err)
	}
	if err := checkIO("output", outs, spec.Outputs); err != nil {
		return nil, fmt.Errorf("vision: %s: %w", filepath.Base(path), err)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("vision: session options: %w", err)
	}
	defer opts.Destroy()
	threads := spec.Threads
	if threads <= 0 {
		threads = 1
	}
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("vision: intra-op threads: %w", err)
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("vision: inter-op threads: %w", err)
	}
	if err := opts.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		return nil, fmt.Errorf("vision: disable spinning: %w", err)
	}
	if err := opts.AddSessionConfigEntry("session.inter_op.allow_spinning", "0"); err != nil {
		return nil, fmt.Errorf("vision: disable spinning: %w", err)
	}
	// Denormal floats make some models ~10× slower; flush them to zero on
	// ORT's pool threads here and on the calling thread in Run.
	if err := opts.AddSessionConfigEntry("session.set_denormal_as_zero", "1"); err != nil {
		return nil, fmt.Errorf("vision: denormals as zero: %w", err)
	}
	names := func(ios []IO) []string {
		s := make([]string, len(ios))
		for i, io := range ios {
			s[i] = io.Name
		}
		return s
	}
	sess, err := ort.NewDynamicAdvancedSession(path, names(spec.Inputs), names(spec.Outputs), opts)
	if err != nil {
		return nil, fmt.Errorf("vision: load %s: %w", path, err)
	}
	return &Model{path: path, spec: spec, session: sess}, nil
}

func checkIO(kind string, got []ort.InputOutputInfo, want []IO) error {
	if len(want) == 0 {
		return fmt.Errorf("spec names no %ss", kind)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if g.Name != w.Name {
				continue
			}
			found = true
			if w.Shape == nil {
				break
			}
			if len(g.Dimensions) != len(w.Shape) {
				return fmt.Errorf("%s %q has shape %v, want %v", kind, w.Name, g.Dimensions, w.Shape)
			}
			for i, d := range g.Dimensions {
				if d != w.Shape[i] {
					return fmt.Errorf("%s %q has shape %v, want %v", kind, w.Name, g.Dimensions, w.Shape)
				}
			}
			if g.DataType != ort.TensorElementDataTypeFloat {
				return fmt.Errorf("%s %q is %v, want float32", kind, w.Name, g.DataType)
			}
			break
		}
		if !found {
			return fmt.Errorf("model has no %s %q", kind, w.Name)
		}
	}
	return nil
}

// Path is the model file the model was loaded from.
func (m *Model) Path() string { return m.path }

// Run feeds inputs (in ModelSpec.Inputs order; dynamic dimensions take the
// tensor's own shape) and returns the outputs in ModelSpec.Outputs order, as
// Go memory. Safe for concurrent use.
func (m *Model) Run(ctx context.Context, inputs ...Tensor) ([]Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(inputs) != len(m.spec.Inputs) {
		return nil, fmt.Errorf("vision: %s takes %d inputs, got %d", filepath.Base(m.path), len(m.spec.Inputs), len(inputs))
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.session == nil {
		return nil, fmt.Errorf("vision: %s is closed", filepath.Base(m.path))
	}
	in := make([]ort.Value, len(inputs))
	defer func() {
		for _, v := range in {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for i, t := range inputs {
		var n int64 = 1
		for _, d := range t.Shape {
			if d <= 0 {
				return nil, fmt.Errorf("vision: input %q has bad shape %v", m.spec.Inputs[i].Name, t.Shape)
			}
			n *= d
		}
		if n != int64(len(t.Data)) {
			return nil, fmt.Errorf("vision: input %q shape %v needs %d values, got %d", m.spec.Inputs[i].Name, t.Shape, n, len(t.Data))
		}
		v, err := ort.NewTensor(ort.NewShape(t.Shape...), t.Data)
		if err != nil {
			return nil, fmt.Errorf("vision: input %q: %w", m.spec.Inputs[i].Name, err)
		}
		in[i] = v
	}
	out := make([]ort.Value, len(m.spec.Outputs))
	defer func() {
		for _, v := range out {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	if err := withFlushDenormals(func() error { return m.session.Run(in, out) }); err != nil {
		return nil, fmt.Errorf("vision: run %s: %w", filepath.Base(m.path), err)
	}
	res := make([]Tensor, len(out))
	for i, v := range out {
		t, ok := v.(*ort.Tensor[float32])
		if !ok {
			return nil, fmt.Errorf("vision: output %q is not a float32 tensor", m.spec.Outputs[i].Name)
		}
		// The auto-allocated output is already a copy in Go memory; keep the
		// slice and release only the ORT value.
		res[i] = Tensor{Shape: []int64(t.GetShape().Clone()), Data: t.GetData()}
	}
	return res, nil
}

// Close releases the session (C memory). It waits for running calls.
func (m *Model) Close() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.session == nil {
		return nil
	}
	err := m.session.Destroy()
	m.session = nil
	if err != nil {
		return fmt.Errorf("vision: close %s: %w", filepath.Base(m.path), err)
	}
	return nil
}
