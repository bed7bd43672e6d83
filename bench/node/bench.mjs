// Node.js side of `faceprint bench face --node`: the same face models run by
// onnxruntime-node (unpacked by setup.sh), with the same preprocessing as
// internal/vision/face written in plain JS: letterboxed 320×240 detection,
// NMS, 64×64 grey landmarks, 5-point similarity alignment to 112×112, 512-d
// embedding. Input is a binary PPM (P6) written by the Go bench, so both sides
// measure inference and preprocessing, not JPEG decoding.
//
// usage: node bench.mjs --models DIR --image face.ppm [--n 50] [--seconds 5]
// prints one JSON object.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const require = createRequire(import.meta.url);
const ort = require("./node_modules/onnxruntime-node");

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const models = args.models ?? "../../models";
const n = Number(args.n ?? 50);
const seconds = Number(args.seconds ?? 5);

function readPPM(path) {
  const buf = readFileSync(path);
  let pos = 0;
  const tok = () => {
    while (/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    let s = "";
    while (!/\s/.test(String.fromCharCode(buf[pos]))) s += String.fromCharCode(buf[pos++]);
    return s;
  };
  if (tok() !== "P6") throw new Error("not a P6 PPM");
  const w = Number(tok()), h = Number(tok());
  tok();
  pos++;
  return { w, h, pix: buf.subarray(pos, pos + w * h * 3) };
}

// Bilinear crop+resize of (x0,y0,w,h) into ow×oh RGB floats (edges clamped).
function cropResize(img, x0, y0, w, h, ow, oh) {
  const out = new Float32Array(ow * oh * 3);
  const sx = w / ow, sy = h / oh;
  for (let y = 0; y < oh; y++) {
    const fy = y0 + (y + 0.5) * sy - 0.5;
    const j = Math.floor(fy), g = fy - j;
    const j0 = Math.min(Math.max(j, 0), img.h - 1), j1 = Math.min(Math.max(j + 1, 0), img.h - 1);
    for (let x = 0; x < ow; x++) {
      const fx = x0 + (x + 0.5) * sx - 0.5;
      const i = Math.floor(fx), f = fx - i;
      const i0 = Math.min(Math.max(i, 0), img.w - 1), i1 = Math.min(Math.max(i + 1, 0), img.w - 1);
      for (let c = 0; c < 3; c++) {
        const a = img.pix[(j0 * img.w + i0) * 3 + c], b = img.pix[(j0 * img.w + i1) * 3 + c];
        const d = img.pix[(j1 * img.w + i0) * 3 + c], e = img.pix[(j1 * img.w + i1) * 3 + c];
        const top = a + (b - a) * f, bot = d + (e - d) * f;
        out[(y * ow + x) * 3 + c] = top + (bot - top) * g;
      }
    }
  }
  return out;
}

function iou(a, b) {
  const x1 = Math.max(a[0], b[0]), y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]), y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  if (x2 <= x1 || y2 <= y1) return 0;
  const inter = (x2 - x1) * (y2 - y1);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

const REF = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

function similarity(src, dst) {
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let i = 0; i < 5; i++) { msx += src[i][0]; msy += src[i][1]; mdx += dst[i][0]; mdy += dst[i][1]; }
  msx /= 5; msy /= 5; mdx /= 5; mdy /= 5;
  let n1 = 0, n2 = 0, den = 0;
  for (let i = 0; i < 5; i++) {
    const x = src[i][0] - msx, y = src[i][1] - msy, u = dst[i][0] - mdx, v = dst[i][1] - mdy;
    n1 += x * u + y * v; n2 += x * v - y * u; den += x * x + y * y;
  }
  const a = n1 / den, b = n2 / den;
  return [a, -b, mdx - (a * msx - b * msy), b, a, mdy - (b * msx + a * msy)];
}

async function main() {
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential",
    extra: { session: { set_denormal_as_zero: "1", intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } } };
  const det = await ort.InferenceSession.create(`${models}/face/fr_detect.onnx`, opts);
  const lmk = await ort.InferenceSession.create(`${models}/face/fr_landmark.onnx`, opts);
  const feat = await ort.InferenceSession.create(`${models}/face/fr_feature.onnx`, opts);
  const img = readPPM(args.image);

  async function detect() {
    const scale = Math.min(320 / img.w, 240 / img.h);
    const cw = Math.round(img.w * scale), ch = Math.round(img.h * scale);
    const small = cropResize(img, 0, 0, img.w, img.h, cw, ch);
    const input = new Float32Array(3 * 240 * 320);
    for (let y = 0; y < ch; y++)
      for (let x = 0; x < cw; x++)
        for (let c = 0; c < 3; c++) input[c * 76800 + y * 320 + x] = (small[(y * cw + x) * 3 + c] - 127) / 128;
    const out = await det.run({ input: new ort.Tensor("float32", input, [1, 3, 240, 320]) });
    const s = out.scores.data, b = out.boxes.data;
    const cands = [];
    for (let i = 0; i < s.length / 2; i++) {
      if (s[i * 2 + 1] < 0.7) continue;
      const x1 = b[i * 4] * 320 / scale, y1 = b[i * 4 + 1] * 240 / scale;
      const x2 = b[i * 4 + 2] * 320 / scale, y2 = b[i * 4 + 3] * 240 / scale;
      cands.push({ box: [x1, y1, x2 - x1, y2 - y1], score: s[i * 2 + 1] });
    }
    cands.sort((p, q) => q.score - p.score);
    const kept = [];
    for (const c of cands) if (kept.every((k) => iou(k.box, c.box) <= 0.3)) kept.push(c);
    kept.sort((p, q) => q.box[2] * q.box[3] - p.box[2] * p.box[3]);
    return kept;
  }

  async function landmarks(box) {
    const crop = cropResize(img, box[0], box[1], box[2], box[3], 64, 64);
    const g = new Float32Array(64 * 64);
    for (let i = 0; i < g.length; i++) g[i] = (0.299 * crop[i * 3] + 0.587 * crop[i * 3 + 1] + 0.114 * crop[i * 3 + 2]) / 256;
    const out = await lmk.run({ input: new ort.Tensor("float32", g, [1, 1, 64, 64]) });
    const d = out.output.data, L = [];
    for (let i = 0; i < 68; i++) L.push([box[0] + d[2 * i] * box[2], box[1] + d[2 * i + 1] * box[3]]);
    const mean = (...idx) => [idx.reduce((s, i) => s + L[i][0], 0) / idx.length, idx.reduce((s, i) => s + L[i][1], 0) / idx.length];
    return [mean(37, 38, 40, 41), mean(43, 44, 46, 47), L[30], mean(48, 60), mean(54, 64)];
  }

  async function embed(kp) {
    const t = similarity(kp, REF);
    const det2 = t[0] * t[4] - t[1] * t[3];
    const inv = [t[4] / det2, -t[1] / det2, 0, -t[3] / det2, t[0] / det2, 0];
    inv[2] = -(inv[0] * t[2] + inv[1] * t[5]);
    inv[5] = -(inv[3] * t[2] + inv[4] * t[5]);
    const input = new Float32Array(3 * 112 * 112);
    for (let y = 0; y < 112; y++)
      for (let x = 0; x < 112; x++) {
        const sx = inv[0] * x + inv[1] * y + inv[2], sy = inv[3] * x + inv[4] * y + inv[5];
        const i = Math.floor(sx), j = Math.floor(sy), f = sx - i, g = sy - j;
        for (let c = 0; c < 3; c++) {
          const px = (xx, yy) => (xx < 0 || yy < 0 || xx >= img.w || yy >= img.h ? 0 : img.pix[(yy * img.w + xx) * 3 + c]);
          const top = px(i, j) + (px(i + 1, j) - px(i, j)) * f;
          const bot = px(i, j + 1) + (px(i + 1, j + 1) - px(i, j + 1)) * f;
          input[c * 12544 + y * 112 + x] = (top + (bot - top) * g - 127) / 128;
        }
      }
    const out = await feat.run({ input: new ort.Tensor("float32", input, [1, 3, 112, 112]) });
    const v = out.output.data;
    let s = 0;
    for (const x of v) s += x * x;
    return Float32Array.from(v, (x) => x / Math.sqrt(s));
  }

  const perFace = async () => {
    const faces = await detect();
    if (!faces.length) throw new Error("no face");
    const kp = await landmarks(faces[0].box);
    return { kp, emb: await embed(kp) };
  };
  for (let i = 0; i < 5; i++) await perFace();
  const times = [];
  let last;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    last = await perFace();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);

  // Embeddings per second with two requests in flight.
  const kp = last.kp;
  let count = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => { while (performance.now() < until) { await embed(kp); count++; } };
  await Promise.all([worker(), worker()]);
  const rss = process.memoryUsage().rss;
  console.log(JSON.stringify({
    runtime: `onnxruntime-node ${require("./node_modules/onnxruntime-node/package.json").version}, node ${process.version}`,
    per_face_p50_ms: times[Math.floor(times.length / 2)],
    per_face_p95_ms: times[Math.floor(times.length * 0.95)],
    per_face_cpu_ms: (cpu.user + cpu.system) / 1000 / n,
    embeddings_per_s_2_workers: count / seconds,
    rss_mb: rss / (1 << 20),
    embedding_head: Array.from(last.emb.slice(0, 4)),
  }));
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
