// Liveness step: a face viewfinder, the server's challenge shown one step at
// a time, frames captured from the camera and uploaded as they are taken
// (each keyed by index, so a resend after a network error is harmless), or a
// recorded video when the camera cannot be opened live.
import { t, lang } from './i18n.js';
import { call, send, ApiError } from './api.js';
import { h, show, button, screen, spinner } from './ui.js';
import * as cam from './camera.js';

const reducedMotion = () => window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

function prompt(step) {
  const p = lang === 'en' ? step.prompt_en : step.prompt_zh;
  if (p) return p;
  return step.kind === 'flash' ? t('flashHold') : t('keepStill');
}

// livenessStep resolves with {decision, view} from the server.
export async function livenessStep(view, live, guard) {
  if (!live) return videoFallback(view, guard);
  let stream;
  try {
    stream = await cam.open('user', 640, 480);
  } catch (e) {
    if (!view.plan.allow_video_fallback) throw e;
    // The pre-flight passed but the camera failed now: record why the video was used.
    const reason = cam.reasonOf(e);
    send('POST', 'diagnostics', { reason, camera: reason === 'camera_denied' ? 'denied' : 'unavailable', get_user_media: true,
      width: 0, height: 0, fps: 0, webview: cam.webView(), fallback: 'recorded_video' }).catch(() => {});
    return videoFallback(view, guard);
  }
  try {
    const noFlash = await intro(view, stream);
    show(screen('liveness-wait', t('faceTitle'), spinner(t('processing'))));
    const res = await guard(() => call('POST', 'challenge', { no_flash: noFlash }));
    const frames = await capture(res.challenge, stream);
    cam.stop(stream);
    show(screen('processing', t('faceTitle'), spinner(t('processing'))));
    return await submitFrames(res.challenge.id, frames, guard);
  } finally {
    cam.stop(stream);
  }
}

// intro shows the preview; resolves with noFlash when the user taps Start.
function intro(view, stream) {
  return new Promise((resolve) => {
    const flash = view.plan.liveness_mode === 'flash';
    const video = h('video', { class: 'preview mirror', muted: true, playsinline: true, autoplay: true, 'aria-label': t('cameraPreview') });
    const body = [
      h('div', { class: 'viewfinder face', role: 'img', 'aria-label': t('faceFrame') }, video, h('div', { class: 'face-frame', 'aria-hidden': 'true' })),
      h('p', { class: 'lead', text: t('faceHint') }),
      h('p', { text: t('faceReady') }),
    ];
    if (flash) {
      body.push(h('div', { class: 'notice', role: 'note', id: 'flash-warning' },
        h('strong', { text: t('flashWarnTitle') }), h('p', { text: t('flashWarn') })));
    }
    // Someone who asked their phone for less motion gets the no-flash path
    // as the first choice (the flashing stays one tap away).
    const preferNoFlash = flash && view.plan.allow_no_flash && reducedMotion();
    const actions = [button(t('faceStart'), () => resolve(false), preferNoFlash ? 'btn secondary' : 'btn primary', { id: 'face-start' })];
    if (flash && view.plan.allow_no_flash) {
      const nf = button(t('noFlash'), () => resolve(true), preferNoFlash ? 'btn primary' : 'btn secondary', { id: 'no-flash' });
      if (preferNoFlash) actions.unshift(nf);
      else actions.push(nf);
    }
    show(screen('liveness-intro', t('faceTitle'), body, actions));
    cam.attach(video, stream);
  });
}

// capture runs the challenge's steps on their timing and returns the frames.
function capture(challenge, stream) {
  const pub = challenge.public || {};
  const cap = pub.capture || {};
  const fps = Math.min(Math.max(cap.fps || 10, 1), 30);
  const maxFrames = cap.max_frames || 80;
  const maxMs = cap.max_ms || 15000;
  const W = cap.width || 640, H = cap.height || 480;
  const steps = (pub.steps && pub.steps.length ? pub.steps : [{ kind: 'hold', ms: 3000 }]);
  const actions = steps.filter((s) => s.kind === 'action');
  const starts = [];
  let total = 0;
  for (const s of steps) { starts.push(total); total += Math.max(0, s.ms || 0); }
  total = Math.min(total, maxMs);

  const video = h('video', { class: 'preview mirror', muted: true, playsinline: true, autoplay: true, 'aria-hidden': 'true' });
  const instr = h('p', { class: 'instruction', id: 'instruction', role: 'status', 'aria-live': 'assertive' });
  const guide = h('p', { class: 'guidance', id: 'guidance', 'aria-live': 'polite' });
  const counter = h('p', { class: 'counter', id: 'step-counter' });
  // The progress ring runs along the face oval (.face-frame: 72% × 76% of the viewfinder).
  const oval = 'M50 10 A36 38 0 0 1 50 86 A36 38 0 0 1 50 10';
  const C = 100;
  const ring = h('svg:path', { d: oval, class: 'ring-fg', pathLength: '100', 'stroke-dasharray': '100', 'stroke-dashoffset': '100' });
  const progress = h('div', { class: 'progress', role: 'progressbar', 'aria-label': t('progress'), 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' });
  const overlay = h('div', { class: 'flash', id: 'flash', hidden: true, 'aria-hidden': 'true' }, h('p', { text: t('flashHold') }));
  show(screen('liveness', t('faceTitle'), [
    h('div', { class: 'viewfinder face' }, video, h('div', { class: 'face-frame', 'aria-hidden': 'true' }),
      h('svg:svg', { class: 'ring', viewBox: '0 0 100 100', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
        h('svg:path', { d: oval, class: 'ring-bg' }), ring),
      h('span', { class: 'rec', id: 'rec' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), t('recording'))),
    instr, counter, guide, progress, overlay,
  ]));

  return new Promise((resolve) => {
    const frames = [];
    const canvas = h('canvas');
    const small = h('canvas');
    let t0 = 0, shown = -1, timer = 0, raf = 0, lastGuide = 0, pending = 0;
    const uploads = [];
    const stop = () => {
      clearInterval(timer);
      cancelAnimationFrame(raf);
      overlay.hidden = true;
      Promise.allSettled(uploads).then(() => resolve(frames));
    };
    const stepAt = (ms) => {
      let i = 0;
      while (i + 1 < steps.length && ms >= starts[i + 1]) i++;
      return i;
    };
    const ui = () => {
      const ms = performance.now() - t0;
      const i = stepAt(ms);
      if (i !== shown) {
        shown = i;
        const s = steps[i];
        instr.textContent = prompt(s);
        // The counter counts actions only: the lead-in and closing holds are
        // not tasks, and a single action (hold + blink) has nothing to count.
        const k = actions.indexOf(s);
        counter.textContent = actions.length > 1 && k >= 0 ? `${k + 1} / ${actions.length}` : '';
        if (s.kind === 'flash' && /^#[0-9a-fA-F]{6}$/.test(s.color || '')) {
          overlay.hidden = false;
          overlay.style.backgroundColor = s.color;
          const n = parseInt(s.color.slice(1), 16);
          const y = ((n >> 16) & 255) * 0.299 + ((n >> 8) & 255) * 0.587 + (n & 255) * 0.114;
          overlay.style.color = y > 140 ? '#000' : '#fff';
        } else {
          overlay.hidden = true;
        }
      }
      const pct = Math.min(1, ms / total);
      ring.setAttribute('stroke-dashoffset', String(C * (1 - pct)));
      progress.setAttribute('aria-valuenow', String(Math.round(pct * 100)));
      progress.style.setProperty('--p', String(pct));
      raf = requestAnimationFrame(ui);
    };
    const tick = () => {
      const ms = performance.now() - t0;
      if (ms >= total || frames.length >= maxFrames) { stop(); return; }
      const ctx = cam.draw(video, canvas, W, H);
      const index = frames.length;
      const at = Math.round(ms);
      const f = { index, at, blob: null, sent: false };
      frames.push(f);
      pending++;
      const p = cam.jpeg(canvas, 0.85).then((blob) => {
        f.blob = blob;
        pending--;
        return uploadFrame(challenge.id, f).catch(() => {}); // retried before submit
      });
      uploads.push(p);
      if (ms - lastGuide > 500) {
        lastGuide = ms;
        const sctx = cam.draw(video, small, 32, 24);
        const y = cam.luma(sctx, 32, 24);
        const g = y < 45 ? t('tooDark') : y > 225 ? t('tooBright') : '';
        if (guide.textContent !== g) guide.textContent = g; // a live region: speak changes only
      }
      void ctx;
    };
    cam.attach(video, stream).then(() => {
      t0 = performance.now();
      raf = requestAnimationFrame(ui);
      tick();
      timer = setInterval(tick, 1000 / fps);
    });
  });
}

function uploadFrame(id, f) {
  return send('PUT', `frame?challenge=${encodeURIComponent(id)}&index=${f.index}&at=${f.at}`, f.blob, 'image/jpeg', 3)
    .then(() => { f.sent = true; });
}

// submitFrames resends what did not arrive, then asks for the decision.
function submitFrames(id, frames, guard) {
  const ready = frames.filter((f) => f.blob);
  return guard(async () => {
    for (let round = 0; ; round++) {
      await Promise.all(ready.filter((f) => !f.sent).map((f) => uploadFrame(id, f)));
      try {
        return await call('POST', 'capture', { challenge: id, frames: ready.length });
      } catch (e) {
        if (!(e instanceof ApiError) || e.code !== 'missing_frames' || round >= 2) throw e;
        for (const i of e.data.missing || []) if (ready[i]) ready[i].sent = false;
      }
    }
  });
}

// videoFallback: the user records a video of the challenge with the native camera.
async function videoFallback(view, guard) {
  const res = await guard(() => call('POST', 'challenge', { no_flash: true }));
  const ch = res.challenge;
  const steps = ((ch.public && ch.public.steps) || []).filter((s) => s.kind !== 'flash');
  const secs = Math.ceil(((ch.public && ch.public.steps) || []).reduce((a, s) => a + (s.ms || 0), 0) / 1000) + 2;
  const file = await new Promise((resolve) => {
    const input = h('input', { type: 'file', accept: 'video/*', capture: 'user', id: 'video-file', class: 'visually-hidden' });
    input.addEventListener('change', () => input.files && input.files[0] && resolve(input.files[0]));
    show(screen('video', t('videoTitle'), [
      h('p', { class: 'lead', text: t('videoIntro', { s: secs }) }),
      h('ol', { class: 'steps' }, steps.map((s) => h('li', { text: prompt(s) }))),
    ], [input, h('label', { for: 'video-file', class: 'btn primary', role: 'button', tabindex: '0', id: 'video-label',
      onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && input.click() }, t('videoRecord'))]));
  });
  if (file.size > 24 << 20) {
    show(screen('video-large', t('videoTitle'), h('p', { class: 'alert', role: 'alert', text: t('videoTooLarge') }),
      [button(t('retry'), () => location.reload())]));
    return new Promise(() => {});
  }
  const line = h('p', { role: 'status', id: 'video-progress', text: t('videoUploading', { p: 0 }) });
  show(screen('video-upload', t('videoTitle'), [spinner(''), line]));
  const CH = 512 << 10;
  const type = /^video\/(webm|mp4|quicktime|3gpp)$/.test(file.type) ? file.type : 'video/mp4';
  await guard(async () => {
    for (let off = 0; off < file.size; off += CH) {
      await send('PUT', `video?challenge=${encodeURIComponent(ch.id)}&offset=${off}`, file.slice(off, off + CH), 'application/octet-stream');
      line.textContent = t('videoUploading', { p: Math.round((Math.min(file.size, off + CH) / file.size) * 100) });
    }
  });
  show(screen('processing', t('faceTitle'), spinner(t('processing'))));
  return guard(() => call('POST', 'capture', { challenge: ch.id, video_type: type, video_bytes: file.size }));
}

export { reducedMotion };
