package h5_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPageModulesInNode loads the page's pure modules in Node: the English
// table has every string the Chinese one has (and no more), and the ID number
// hint agrees with GB 11643 on known numbers.
func TestPageModulesInNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node not installed")
		}
		t.Skip("node not installed")
	}
	_, file, _, _ := runtime.Caller(0)
	static := filepath.Join(filepath.Dir(file), "..", "..", "web", "h5", "static")
	script := `
globalThis.document = { documentElement: { lang: 'zh-CN' } };
const { tables } = await import(process.argv[1] + '/i18n.js');
const { check } = await import(process.argv[1] + '/idnum.js');
const { webView } = await import(process.argv[1] + '/camera.js');
const keys = (o, p = '') => Object.entries(o).flatMap(([k, v]) => typeof v === 'object' ? keys(v, p + k + '.') : [p + k]);
const zh = new Set(keys(tables.zh)), en = new Set(keys(tables.en));
const out = [];
for (const k of zh) if (!en.has(k)) out.push('missing in en: ' + k);
for (const k of en) if (!zh.has(k)) out.push('missing in zh: ' + k);
for (const k of en) { const v = k.split('.').reduce((o, x) => o[x], tables.en); if (/[\u4e00-\u9fff]/.test(v)) out.push('Chinese in en: ' + k); }
const cases = { '110101199003078515': 'ok', '11010519491231002x': 'ok', '110101199003078514': 'checksum', '1101011990': 'short', '11010119900307851A': 'chars', '1101011990030785155': 'chars' };
for (const [n, want] of Object.entries(cases)) if (check(n).state !== want) out.push('check(' + n + ') = ' + check(n).state + ', want ' + want);
const uas = {
  'Mozilla/5.0 (Linux; Android 13; V2183A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20221206 MMWEBID/1234 MicroMessenger/8.0.32.2300(0x2800205D) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64': 'wechat',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 AlipayClient/10.3.0': 'alipay',
  'Mozilla/5.0 (Linux; Android 14; Pixel 7; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0 Mobile Safari/537.36': 'android_webview',
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36': '',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1': '',
};
for (const [ua, want] of Object.entries(uas)) if (webView(ua) !== want) out.push('webView(' + ua.slice(0, 40) + ') = ' + webView(ua) + ', want ' + want);
console.log(out.join('\n') || 'OK');
`
	out, err := exec.Command(node, "--input-type=module", "-e", script, static).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "OK" {
		t.Errorf("%s", got)
	}
}
