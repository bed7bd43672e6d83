// Drives the official Alibaba Cloud SDK @alicloud/cloudauth20190307 against
// a faceprint server. Unmodified but for the endpoint (host:port) and
// protocol 'http'. Input, from the environment:
//   FP_ALISDK_DIR  directory holding node_modules/@alicloud/cloudauth20190307 (setup.sh)
//   FP_ENDPOINT    host:port of the server
//   FP_CALLS       JSON list of {"action": "initFaceVerify"|"describeFaceVerify",
//                  "request": {camelCase request fields}, "accessKeyId", "accessKeySecret",
//                  "signatureAlgorithm": optional ("v2" selects the legacy HMAC-SHA1 RPC signature)}
// Prints a JSON list, one {"body"} or {"error": {"code", "statusCode", "message"}} per call.
'use strict';
const path = require('path');
const dir = process.env.FP_ALISDK_DIR;
const mods = path.join(dir, 'node_modules');
const Cloudauth = require(path.join(mods, '@alicloud/cloudauth20190307'));
const { $OpenApiUtil } = require(path.join(mods, '@alicloud/openapi-core'));

const Client = Cloudauth.default;
const requests = {
  initFaceVerify: Cloudauth.InitFaceVerifyRequest,
  describeFaceVerify: Cloudauth.DescribeFaceVerifyRequest,
};

async function main() {
  const calls = JSON.parse(process.env.FP_CALLS);
  const out = [];
  for (const c of calls) {
    const cfg = new $OpenApiUtil.Config({
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      endpoint: process.env.FP_ENDPOINT,
      protocol: 'http',
    });
    if (c.signatureAlgorithm) cfg.signatureAlgorithm = c.signatureAlgorithm;
    const client = new Client(cfg);
    try {
      const resp = await client[c.action](new requests[c.action](c.request));
      out.push({ statusCode: resp.statusCode, body: resp.body });
    } catch (e) {
      out.push({ error: { code: e.code, statusCode: e.statusCode || (e.data && e.data.statusCode), message: String(e.message) } });
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
