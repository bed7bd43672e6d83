// Camera access, pre-flight diagnostics and frame grabbing.

// webView names the in-app browser, if any (its own camera rules apply).
export function webView(ua = navigator.userAgent) {
  if (/MicroMessenger/i.test(ua)) return 'wechat';
  if (/AlipayClient/i.test(ua)) return 'alipay';
  if (/\bQQ\//i.test(ua)) return 'qq';
  if (/DingTalk/i.test(ua)) return 'dingtalk';
  if (/Weibo/i.test(ua)) return 'weibo';
  if (/; wv\)/.test(ua)) return 'android_webview';
  if (/iPhone|iPad/.test(ua) && !/Safari\//.test(ua)) return 'ios_webview';
  return '';
}

export function reasonOf(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return 'camera_denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return 'no_camera';
    case 'NotReadableError':
    case 'AbortError':
    case 'TrackStartError':
      return 'camera_busy';
    default:
      return 'camera_error';
  }
}

export function canUseCamera() {
  return window.isSecureContext && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

// open starts the camera. facing: 'user' | 'environment' (never exact: some
// devices have no facing mode). Resolves to a MediaStream.
export function open(facing, width = 1280, height = 720) {
  return navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: facing, width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: 30 } },
  });
}

export function stop(stream) {
  if (stream) for (const tr of stream.getTracks()) tr.stop();
}

// quickCheck says what can be known without opening the camera (which needs
// a tap on iOS and in WeChat): a secure context, getUserMedia, a permission
// already refused, and whether any camera is listed. It runs on the first
// screen so a device that cannot finish is told before any typing. A browser
// that lists no devices before permission reads as no_camera: the screen
// that says so offers the full pre-flight on a tap, which settles it.
export async function quickCheck() {
  const d = { reason: 'ok', camera: 'unknown', get_user_media: false, width: 0, height: 0, fps: 0, webview: webView(), fallback: '' };
  if (!window.isSecureContext) {
    d.reason = 'insecure_context';
    return d;
  }
  if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    d.reason = 'no_getusermedia';
    return d;
  }
  d.get_user_media = true;
  try {
    const st = await navigator.permissions.query({ name: 'camera' });
    if (st.state === 'denied') {
      d.reason = 'camera_denied';
      d.camera = 'denied';
      return d;
    }
    if (st.state === 'granted') d.camera = 'granted';
  } catch (e) { /* no Permissions API for the camera (Safari < 16, Firefox): the pre-flight finds out */ }
  try {
    const devs = await navigator.mediaDevices.enumerateDevices();
    if (!devs.some((x) => x.kind === 'videoinput')) {
      d.reason = 'no_camera';
      d.camera = 'unavailable';
    }
  } catch (e) { /* unknown: the pre-flight finds out */ }
  return d;
}

// preflight opens the camera once and reports what it found.
export async function preflight(facing) {
  const d = { reason: 'ok', camera: 'unknown', get_user_media: false, width: 0, height: 0, fps: 0, webview: webView(), fallback: '' };
  if (!window.isSecureContext) {
    d.reason = 'insecure_context';
  } else if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    d.reason = 'no_getusermedia';
  } else {
    d.get_user_media = true;
    let stream;
    try {
      stream = await open(facing);
      d.camera = 'granted';
      const s = stream.getVideoTracks()[0]?.getSettings() || {};
      d.width = s.width || 0;
      d.height = s.height || 0;
      d.fps = Math.round((s.frameRate || 0) * 10) / 10;
      if (d.width && d.height && Math.min(d.width, d.height) < 240) d.reason = 'low_resolution';
      else if (d.fps && d.fps < 8) d.reason = 'low_fps';
    } catch (e) {
      d.reason = reasonOf(e);
      d.camera = d.reason === 'camera_denied' ? 'denied' : 'unavailable';
    } finally {
      stop(stream);
    }
  }
  return d;
}

// attach shows a stream in a <video muted playsinline> and waits for frames.
export async function attach(video, stream) {
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play().catch(() => {});
  if (!video.videoWidth) {
    await new Promise((res) => {
      const done = () => { video.removeEventListener('loadeddata', done); res(); };
      video.addEventListener('loadeddata', done);
      setTimeout(done, 3000);
    });
  }
}

// draw copies the video into canvas (w×h), centre-cropped to the canvas aspect.
export function draw(video, canvas, w, h) {
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const vw = video.videoWidth, vh = video.videoHeight;
  const scale = Math.max(w / vw, h / vh);
  const sw = w / scale, sh = h / scale;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(video, (vw - sw) / 2, (vh - sh) / 2, sw, sh, 0, 0, w, h);
  return ctx;
}

export const jpeg = (canvas, q = 0.85) => new Promise((res) => canvas.toBlob(res, 'image/jpeg', q));

// luma returns the mean brightness (0–255) of a small canvas.
export function luma(ctx, w, h) {
  const px = ctx.getImageData(0, 0, w, h).data;
  let sum = 0;
  for (let i = 0; i < px.length; i += 16) sum += px[i] * 0.299 + px[i + 1] * 0.587 + px[i + 2] * 0.114;
  return sum / (px.length / 16);
}

// sharpness: mean absolute Laplacian of the grey image, and how many cells
// of a 4×3 grid hold detail (a card filling the frame has print everywhere).
export function cardScore(ctx, w, h) {
  const px = ctx.getImageData(0, 0, w, h).data;
  const g = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) g[i] = px[i * 4] * 0.299 + px[i * 4 + 1] * 0.587 + px[i * 4 + 2] * 0.114;
  let lap = 0, n = 0;
  const cells = new Float32Array(12), cn = new Float32Array(12);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v = Math.abs(4 * g[i] - g[i - 1] - g[i + 1] - g[i - w] - g[i + w]);
      lap += v;
      n++;
      const c = Math.min(3, Math.floor((x * 4) / w)) + 4 * Math.min(2, Math.floor((y * 3) / h));
      cells[c] += v;
      cn[c]++;
    }
  }
  let detailed = 0;
  for (let c = 0; c < 12; c++) if (cells[c] / cn[c] > 4) detailed++;
  return { sharp: lap / n, detailed, mean: luma(ctx, w, h) };
}

// greyGrid averages a w×h canvas into a gw×gh grid of grey levels (small
// enough that sensor noise averages out, fine enough to see a hand move).
export function greyGrid(ctx, w, h, gw, gh) {
  const px = ctx.getImageData(0, 0, w, h).data;
  const sum = new Float32Array(gw * gh), n = new Float32Array(gw * gh);
  for (let y = 0; y < h; y++) {
    const gy = Math.min(gh - 1, Math.floor((y * gh) / h));
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4, c = gy * gw + Math.min(gw - 1, Math.floor((x * gw) / w));
      sum[c] += px[i] * 0.299 + px[i + 1] * 0.587 + px[i + 2] * 0.114;
      n[c]++;
    }
  }
  for (let c = 0; c < sum.length; c++) sum[c] /= n[c] || 1;
  return sum;
}

// meanAbsDiff is the mean absolute difference of two equal-length grids.
export function meanAbsDiff(a, b) {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
  return d / a.length;
}
