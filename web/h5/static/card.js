// ID card step: live viewfinder with auto-capture, manual shutter, and a
// photo-upload fallback. Resolves with the session view once the server
// accepts the side.
import { t, has } from './i18n.js';
import { call } from './api.js';
import { h, show, button, screen, spinner } from './ui.js';
import * as cam from './camera.js';

// Hands need time: auto-capture arms only ARM_MS after the preview starts
// (the card is still being turned or brought into the frame), and fires only
// when the card has been sharp and steady for STEADY_TICKS checks in a row.
const ARM_MS = 1500;
const TICK_MS = 250;
const STEADY_TICKS = 3;
const TURN_AUTO_MS = 3500;
const MAX_SIDE = 1920;

export async function cardStep(side, live, guard) {
  let fileMode = !live;
  let next = null; // a photo picked on the rejection screen
  // Turning the card over is a step of its own: without it the back
  // viewfinder would open on the side just photographed.
  if (side === 'back') await turnScreen();
  for (;;) {
    const shot = next || (fileMode ? await pickFile(side) : await liveCapture(side));
    next = null;
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
    const choice = await rejected(side, shot.blob, res.reason);
    if (choice && choice.blob) next = choice;
  }
}

// turnScreen asks for the other side with a picture of the turn; it moves on
// by itself after a moment (one hand holds the card) or on the button.
function turnScreen() {
  return new Promise((resolve) => {
    let timer = 0;
    const go = () => { clearTimeout(timer); resolve(); };
    const card = (x, cls) => h('svg:rect', { x: String(x), y: '14', width: '68', height: '43', rx: '5', class: cls });
    const art = h('svg:svg', { class: 'turn-art', viewBox: '0 0 200 80', 'aria-hidden': 'true' },
      card(8, 'turn-card'), h('svg:rect', { x: '52', y: '22', width: '16', height: '22', rx: '2', class: 'turn-mark' }),
      h('svg:path', { d: 'M86 30 Q100 8 114 30', class: 'turn-arrow' }), h('svg:path', { d: 'M108 24 L114 30 L106 32', class: 'turn-arrow' }),
      card(124, 'turn-card'), h('svg:circle', { cx: '142', cy: '31', r: '9', class: 'turn-mark' }));
    show(screen('card-turn', t('cardTurnTitle'), [
      h('div', { class: 'turn-illustration' }, art),
      h('p', { class: 'lead', role: 'status', text: t('cardTurnText') }),
    ], [button(t('cardTurnReady'), go, 'btn primary', { id: 'turn-ready' })]));
    timer = setTimeout(go, TURN_AUTO_MS);
  });
}

function reasonText(code) {
  return has(`cardReason.${code}`) ? t(`cardReason.${code}`) : t('cardReason.default');
}

// rejected explains a refused photo; resolves with nothing (take it again)
// or with a photo picked here (the picker stays reachable on every card screen).
function rejected(side, blob, reason) {
  return new Promise((resolve) => {
    const input = fileInput(async (f) => resolve({ blob: await normalise(f) }));
    show(screen('card-rejected', t(side === 'back' ? 'cardBack' : 'cardFront'), [
      h('img', { class: 'shot', src: URL.createObjectURL(blob), alt: '' }),
      h('p', { class: 'alert', role: 'alert', id: 'card-reason', 'data-reason': reason || '' }, reasonText(reason)),
    ], [button(t('retake'), () => resolve(null), 'btn primary', { id: 'retake' }), input, pickerLabel(input)]));
  });
}

const pickerLabel = (input) => h('label', { for: 'card-file', class: 'btn link', role: 'button', tabindex: '0', id: 'card-file-label',
  onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && input.click() }, t('uploadPhoto'));

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
    // The shutter is there from the start: auto-capture is a help, not a gate.
    const shutter = button(t('shutter'), snap, 'btn primary', { id: 'shutter' });
    const input = fileInput((f) => { picking = true; normalise(f).then((blob) => finish({ blob })); });
    // The frame covers 86% of the viewfinder width with an ID card's aspect (85.6 × 54 mm).
    show(screen(`card-${side}`, t(side === 'back' ? 'cardBack' : 'cardFront'), [
      h('div', { class: 'viewfinder card', role: 'img', 'aria-label': t('cardFrame') }, video, h('div', { class: 'card-frame', 'aria-hidden': 'true' })),
      h('p', { class: 'lead', text: t(side === 'back' ? 'cardHintBack' : 'cardHintFront') }),
      status,
    ], [shutter, input, pickerLabel(input)]));
    cam.attach(video, stream).then(() => {
      const started = performance.now();
      const probe = h('canvas');
      let prev = null;
      timer = setInterval(() => {
        if (done || picking || !video.videoWidth) return;
        const armed = performance.now() - started >= ARM_MS;
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
        // Steady: the picture inside the frame barely changed since the last check.
        const grey = cam.greyGrid(ctx, 160, 101, 40, 25);
        const moved = prev ? cam.meanAbsDiff(grey, prev) : 255;
        prev = grey;
        video.dataset.moved = moved.toFixed(1);
        const ok = sc.sharp > 6 && sc.detailed >= 9 && sc.mean > 40 && sc.mean < 235 && moved < 10;
        good = ok && armed ? good + 1 : 0;
        const text = !armed ? t('cardArming') : ok ? t('cardHold') : t('cardAuto');
        if (status.textContent !== text) status.textContent = text; // a live region: speak changes only
        if (good >= STEADY_TICKS) snap();
      }, TICK_MS);
    });
  });
}
