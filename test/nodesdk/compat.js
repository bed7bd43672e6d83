'use strict';
// Drives the official npm SDK (baidu-aip-sdk) against a local faceprint
// server and prints one JSON object with what happened, for nodesdk_test.go.
//
// Environment:
//   FP_NODESDK_DIR  directory holding node_modules/baidu-aip-sdk (setup.sh prints it)
//   FP_URL          faceprint base URL, e.g. http://127.0.0.1:8080
//   FP_APP_ID, FP_API_KEY, FP_SECRET_KEY
//   FP_IMAGE        optional path of a JPEG to send (default: a tiny non-image payload)
//   FP_PERSON       optional JSON list of {"image": path, "id": number, "name": name}:
//                   one AipFace.personVerify call each (人脸实名认证 V3), instead of
//                   the match/detect/idcard calls
//
// The SDK hardcodes https://aip.baidubce.com; HttpClient.setRequestInterceptor
// sees every request (token fetch included), so the URL is rewritten there.
const path = require('path');
const fs = require('fs');

const sdkDir = path.join(process.env.FP_NODESDK_DIR || '', 'node_modules', 'baidu-aip-sdk');
const AipSdk = require(sdkDir);

const base = (process.env.FP_URL || '').replace(/\/+$/, '');
const appId = process.env.FP_APP_ID || '';
const ak = process.env.FP_API_KEY || '';
const sk = process.env.FP_SECRET_KEY || '';

const requests = [];
AipSdk.HttpClient.setRequestInterceptor(function (opts) {
    const original = opts.url;
    opts.url = String(opts.url).replace(/^https?:\/\/aip\.baidubce\.com/, base);
    const h = opts.headers || {};
    requests.push({
        method: opts.method,
        original_url: original,
        url: opts.url,
        path: String(opts.url).slice(base.length).split('?')[0],
        has_access_token: /[?&]access_token=/.test(String(opts.url)),
        bce_signed: Object.keys(h).some(function (k) {
            return k.toLowerCase() === 'authorization' && String(h[k]).indexOf('bce-auth-v1') === 0;
        }),
    });
    return opts;
});

function tokenInfo(client) {
    const t = client.devAccessToken;
    return {
        // 0 init, 1 BCE signing (token refused), 2 token set by hand, 3 token fetched
        auth_type: client.authType,
        status: client.status,
        access_token: t ? t.token : null,
        scope: t ? t.scope : null,
        has_scope: t ? t.hasScope() : false,
        expires_in: t ? t.expireTime : null,
    };
}

async function call(name, fn) {
    try {
        return { name: name, response: await fn() };
    } catch (e) {
        return { name: name, error: String(e && e.message || e) };
    }
}

async function main() {
    let image = Buffer.from('hello').toString('base64');
    if (process.env.FP_IMAGE) {
        image = fs.readFileSync(process.env.FP_IMAGE).toString('base64');
    }
    const face = new AipSdk.face(appId, ak, sk);
    const ocr = new AipSdk.ocr(appId, ak, sk);
    // The constructors start the token fetch; wait for it.
    await face.pms.catch(function () {});
    await ocr.pms.catch(function () {});

    const calls = [];
    if (process.env.FP_PERSON) {
        const people = JSON.parse(process.env.FP_PERSON);
        for (let i = 0; i < people.length; i++) {
            const p = people[i];
            const img = fs.readFileSync(p.image).toString('base64');
            calls.push(await call('personVerify', function () {
                return face.personVerify(img, 'BASE64', p.id, p.name);
            }));
        }
        process.stdout.write(JSON.stringify({
            face_token: tokenInfo(face),
            ocr_token: tokenInfo(ocr),
            calls: calls,
            requests: requests,
        }) + '\n');
        return;
    }
    calls.push(await call('match', function () {
        return face.match([
            { image: image, image_type: 'BASE64', face_type: 'LIVE' },
            { image: image, image_type: 'BASE64', face_type: 'IDCARD' },
        ]);
    }));
    calls.push(await call('detect', function () {
        return face.detect(image, 'BASE64', { face_field: 'quality' });
    }));
    calls.push(await call('idcard', function () {
        return ocr.idcard(image, 'front', { detect_risk: 'true' });
    }));

    process.stdout.write(JSON.stringify({
        face_token: tokenInfo(face),
        ocr_token: tokenInfo(ocr),
        calls: calls,
        requests: requests,
    }) + '\n');
}

main().catch(function (e) {
    process.stderr.write('compat.js: ' + (e && e.stack || e) + '\n');
    process.exit(1);
});
