// ID card step: live viewfinder with auto-capture, manual shutter, and a
// photo-upload fallback. Resolves with the session view once the server
// accepts the side.
import { t, has } from './i18n.js';
import { call } from './api.js';
import { h, show, button, screen, spinner } from './ui.js';
import * as cam from './camera.js';

const SHUTTER_AFTER_MS = 3000;
const MAX_SIDE = 1920;

export async function cardStep(side, live, guard) {
  let fileMode = !live;
  for (;;) {
    const shot = fileMode ? await pickFile(side) : await liveCapture(side);
    if (shot.useFile) {
      fileMode = true;
      continue;
    }
    show(screen('card-reading', t(side === 'back' ? 'cardBack' : 'cardFront'),
      [h('img', { class: 'shot', src: URL.createObjectURL(shot.blob), alt: '' }), spinner(t('cardReading'))]));
    let res;
    try {
      res = await guard(() => call('POST', `card?side=${side}`, shot.blob, shot.blob.type || 'image/jpeg'));
    } catch (e) {
      if (e.status === 413) res = { accepted: false, reason: 'too_large' };
      else if (e.status === 415) res = { accepted: false, reason: 'bad_image' };
      else throw e;
    }
    if (res.accepted) return res.view;
    await rejected(side, shot.blob, res.reason);
  }
}

function reasonText(code) {
  return has(`cardReason.${code}`) ? t(`cardReason.${code}`) : t('cardReason.default');
}

function rejected(side, blob, reason) {
  return new Promise((resolve) => {
    show(screen('card-rejected', t(side === 'back' ? 'cardBack' : 'cardFront'), [
      h('img', { class: 'shot', src: URL.createObjectURL(blob), alt: '' }),
      h('p', { class: 'alert', role: 'alert', id: 'card-reason', 'data-reason': reason || '' }, reasonText(reason)),
    ], [button(t('retake'), resolve, 'btn primary', { id: 'retake' })]));
  });
}

function fileInput(onfile) {
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'card-file', class: 'visually-hidden' });
  input.addEventListener('change', () => input.files && input.files[0] && onfile(input.files[0]));
  return input;
}

// normalise re-encodes big or unusual photos to a JPEG of at most MAX_SIDE.
async function normalise(file) {
  if (file.size < 6 << 20 && /^image\/(jpeg|png)$/.test(file.type)) return file;
  try {
    const bmp = await createImageBitmap(file);
    const s = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
    const c = h('canvas', { width: Math.round(bmp.width * s), height: Math.round(bmp.height * s) });
    c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
    return (await cam.jpeg(c, 0.9)) || file;
  } catch (e) {
    return file; // the server says whether it can read it
  }
}

function pickFile(side) {
  return new Promise((resolve) => {
    const input = fileInput(async (f) => resolve({ blob: await normalise(f) }));
    show(screen('card-file', t(side === 'back' ? 'cardBack' : 'cardFront'), [
      h('div', { class: 'card-illustration', 'aria-hidden': 'true' }, h('div', { class: side === 'back' ? 'emblem' : 'portrait' })),
      h('p', { class: 'lead', text: t(side === 'back' ? 'cardHintBack' : 'cardHintFront') }),
      h('p', { text: t('cardFileHint') }),
    ], [input, h('label', { for: 'card-file', class: 'btn primary', role: 'button', tabindex: '0', id: 'card-file-label',
      onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && input.click() }, t('takePhoto'))]));
  });
}

async function liveCapture(side) {
  let stream;
  try {
    stream = await cam.open('environment', 1920, 1080);
  } catch (e) {
    return { useFile: true };
  }
  return new Promise((resolve) => {
    let done = false, picking = false, timer = 0, good = 0;
    const video = h('video', { class: 'preview', muted: true, playsinline: true, autoplay: true, 'aria-label': t('cameraPreview') });
    const status = h('p', { class: 'status', role: 'status', id: 'card-status', text: t('cardAuto') });
    const finish = (result) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      cam.stop(stream);
      resolve(result);
    };
    const snap = async () => {
      if (done || picking || !video.videoWidth) return;
      const s = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      const c = h('canvas');
      cam.draw(video, c, Math.round(video.videoWidth * s), Math.round(video.videoHeight * s));
      const blob = await cam.jpeg(c, 0.92);
      finish({ blob });
    };
    const shutter = button(t('shutter'), snap, 'btn primary', { id: 'shutter', hidden: true });
    const input = fileInput((f) => { picking = true; normalise(f).then((blob) => finish({ blob })); });
    // The frame covers 86% of the viewfinder width with an ID card's aspect (85.6 × 54 mm).
    show(screen(`card-${side}`, t(side === 'back' ? 'cardBack' : 'cardFront'), [
      h('div', { class: 'viewfinder card', role: 'img', 'aria-label': t('cardFrame') }, video, h('div', { class: 'card-frame', 'aria-hidden': 'true' })),
      h('p', { class: 'lead', text: t(side === 'back' ? 'cardHintBack' : 'cardHintFront') }),
      status,
    ], [shutter, input, h('label', { for: 'card-file', class: 'btn link', role: 'button', tabindex: '0', id: 'card-file-label',
      onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && input.click() }, t('uploadPhoto'))]));
    cam.attach(video, stream).then(() => {
      const started = performance.now();
      const probe = h('canvas');
      timer = setInterval(() => {
        if (done || picking || !video.videoWidth) return;
        if (performance.now() - started > SHUTTER_AFTER_MS) shutter.hidden = false;
        // Score the part of the picture inside the card frame.
        const vw = video.videoWidth, vh = video.videoHeight;
        const fw = vw * 0.86, fh = fw / 1.585;
        const ctx = probe.getContext('2d', { willReadFrequently: true });
        probe.width = 160;
        probe.height = 101;
        ctx.drawImage(video, (vw - fw) / 2, (vh - fh) / 2, fw, fh, 0, 0, 160, 101);
        const sc = cam.cardScore(ctx, 160, 101);
        video.dataset.sharp = sc.sharp.toFixed(1);
        video.dataset.detailed = String(sc.detailed);
        const ok = sc.sharp > 6 && sc.detailed >= 9 && sc.mean > 40 && sc.mean < 235;
        good = ok ? good + 1 : 0;
        status.textContent = ok ? t('cardHold') : t('cardAuto');
        if (good >= 3) snap();
      }, 250);
    });
  });
}
