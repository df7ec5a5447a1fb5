<?php
/*
 * pfsense/test/test_pkg.php - the package's PHP as pfSense runs it, under php-cli with the
 * stand-ins of stubs/ (real signatures, sources named there): the certificate field of
 * pinfold.xml as pkg_edit.php builds its <select>, the plugin_certificates hook as
 * pkg_call_plugins() and cert_get_all_services() use it, and pinfold_write_config() with
 * one real certificate, checked by the real `pinfold -c`; then the package's rc script
 * regenerating on restart (a renewed certificate reaches pinfold) and refusing a reload
 * of broken settings.
 * Usage: php test_pkg.php PINFOLD DIR USER GROUP PORT BACKEND_PORT CERT1 KEY1 CERT2 KEY2
 * Prints "ok - ..." / "not ok - ..." lines and "N passed, N failed"; exit 1 on a failure.
 */

[$self, $bin, $dir, $user, $group, $port, $beport, $crt1, $key1, $crt2, $key2] = $argv;
$pkg = realpath(__DIR__ . '/../pfSense-pkg-pinfold/files');
require_once(__DIR__ . '/tap.inc');

/* The package's PHP, as the rc script loads it too: stand-ins first, this test's paths,
 * and config.xml from config.json (so the rc script's php sees what this test set). */
$boot = "{$dir}/bootstrap.inc";
file_put_contents($boot, '<?php
set_include_path(' . var_export(__DIR__ . '/stubs', true) . ');
define("PINFOLD_DIR", ' . var_export("{$dir}/var/etc/pinfold", true) . ');
define("PINFOLD_CUSTOM", ' . var_export("{$dir}/custom.cfg", true) . ');
define("PINFOLD_BIN", ' . var_export($bin, true) . ');
define("PINFOLD_RC", ' . var_export("{$dir}/pinfold.sh", true) . ');
define("PINFOLD_USER", ' . var_export($user, true) . ');
define("PINFOLD_GROUP", ' . var_export($group, true) . ');
$GLOBALS["config"] = json_decode(file_get_contents(' . var_export("{$dir}/config.json", true) .
    '), true);
require_once(' . var_export("{$pkg}/usr/local/pkg/pinfold.inc", true) . ');
');
/* pfSense's rc script, told (PINFOLD_*, for tests only) where this test keeps things; the
 * port's rc.d script is a recorder: what it was asked goes to port-rc.log. */
file_put_contents("{$dir}/port-rc", "#!/bin/sh\necho \"\$1\" >>" . escapeshellarg("{$dir}/port-rc.log") .
    "\n");
chmod("{$dir}/port-rc", 0755);
file_put_contents("{$dir}/pinfold.sh", "#!/bin/sh\nexec env PINFOLD_PORT_RC=" .
    escapeshellarg("{$dir}/port-rc") . " PINFOLD_PHP=" . escapeshellarg(PHP_BINARY) .
    " PINFOLD_PKG_INC=" . escapeshellarg($boot) . " PINFOLD_PKG_CFG=" .
    escapeshellarg("{$dir}/var/etc/pinfold/pinfold.cfg") . " sh " .
    escapeshellarg("{$pkg}/usr/local/etc/rc.d/pinfold.sh") . " \"\$@\"\n");
chmod("{$dir}/pinfold.sh", 0755);

function pem_b64(string $file): string
{
	return base64_encode(file_get_contents($file));
}

$config = array(
	'cert' => array(
		array('refid' => '5f1e0c0ffee01', 'descr' => 'ha.example.org (ACME)',
		    'crt' => pem_b64($crt1), 'prv' => pem_b64($key1)),
	),
	'installedpackages' => array(
		'pinfold' => array('config' => array(array(
			'enable' => 'on', 'mode' => 'gui', 'listenaddr' => '127.0.0.1',
			'httpport' => $port, 'httpsport' => (string)((int)$port + 1),
			'certref' => '5f1e0c0ffee01', 'redirect' => 'on', 'xhttp' => '0',
			'loglevel' => '1', 'alive' => '30',
			'row' => array(array('host' => 'ha.example.org', 'address' => '127.0.0.2',
			    'port' => $beport)),
		))),
	),
);
/* pfSense copies info.xml's <package> into installedpackages/package[] at install;
 * pkg_call_plugins() reads it from there. */
$info = simplexml_load_file("{$pkg}/usr/local/share/pfSense-pkg-pinfold/info.xml");
$entry = json_decode(json_encode($info->package), true);
$config['installedpackages']['package'] = array($entry);
function save_config(): void
{
	global $config, $dir;
	$GLOBALS['config'] = $config;
	file_put_contents("{$dir}/config.json", json_encode($config));
}
save_config();
require_once($boot);
$GLOBALS['config'] = $config;

/* ---- 1. the certificate <select>, built as src/usr/local/www/pkg_edit.php does it ----- */
$xml = simplexml_load_file("{$pkg}/usr/local/pkg/pinfold.xml");
$field = null;
foreach ($xml->fields->field as $f) {
	if ((string)$f->fieldname === 'certref') {
		$field = $f;
	}
}
check("pinfold.xml has the certref select_source field", $field !== null &&
    (string)$field->type === 'select_source');
$src = (string)$field->source;
/* pkg_edit.php: eval("\$pkg_source_txt = $source_url;") caught as \Throwable, the
 * show_disable_value entry appended, then $opt[source_name] / $opt[source_value] of each. */
$err = '';
$options = array();
try {
	$pkg_source_txt = null;
	eval("\$pkg_source_txt = {$src};");
	if (!is_array($pkg_source_txt)) {
		$pkg_source_txt = array();
	}
	$sn = (string)$field->source_name;
	$sv = (string)$field->source_value;
	if (isset($field->show_disable_value)) {
		$pkg_source_txt[] = array($sn => (string)$field->show_disable_value,
		    $sv => (string)$field->show_disable_value);
	}
	foreach ($pkg_source_txt as $opt) {
		$options[$opt[$sv]] = $opt[$sn];
	}
} catch (\Throwable $e) {
	$err = get_class($e) . ': ' . $e->getMessage();
}
check("the select builds without an error" . ($err !== '' ? " ({$err})" : ''), $err === '');
check("the select offers the certificate and 'none'", $options ===
    array('5f1e0c0ffee01' => 'ha.example.org (ACME)', 'none' => 'none'));
/* Every cert_build_list() call of the package asks for the select_source shape. */
$calls = array();
foreach (glob("{$pkg}/usr/local/pkg/*") as $f) {
	preg_match_all('/cert_build_list\(([^)]*)\)/', file_get_contents($f), $m);
	foreach ($m[1] as $a) {
		$calls[] = array_map('trim', explode(',', $a));
	}
}
$shaped = count($calls) > 0;
foreach ($calls as $a) {
	$shaped = $shaped && count($a) >= 3 && strtolower($a[2]) === 'true';
}
check("every cert_build_list() call passes \$selectsource = true", $shaped);

/* ---- 2. plugin_certificates, as src/etc/inc/pfsense-utils.inc pkg_call_plugins() ------- */
function call_plugins(string $type, array $params): array
{
	$results = array();
	foreach (config_get_path('installedpackages/package', array()) as $package) {
		$items = $package['plugins']['item'] ?? array();
		if (isset($items['type'])) {
			$items = array($items); /* one <item>: no list level, as pfSense's XML parser */
		}
		foreach ($items as $plugin) {
			if (($plugin['type'] ?? '') === $type) {
				$name = substr($package['configurationfile'], 0,
				    strrpos($package['configurationfile'], '.'));
				$fn = "{$name}_{$type}";
				$results[$name] = function_exists($fn) ? $fn($params) : 'missing ' . $fn;
			}
		}
	}
	return $results;
}
$used = call_plugins('plugin_certificates', array('type' => 'certificates',
    'event' => 'used_certificates'));
check("info.xml registers plugin_certificates and pinfold_plugin_certificates() answers",
    is_array($used['pinfold'] ?? null));
check("the certificate in use is named (so a renewal restarts pinfold)",
    !empty($used['pinfold']['certificatelist']['5f1e0c0ffee01']));
$other = call_plugins('plugin_certificates', array('type' => 'certificates',
    'event' => 'used_ca'));
check("other events name nothing", empty($other['pinfold']['certificatelist']));
$config['installedpackages']['pinfold']['config'][0]['enable'] = '';
save_config();
$used = call_plugins('plugin_certificates', array('type' => 'certificates',
    'event' => 'used_certificates'));
check("disabled: no certificate named", empty($used['pinfold']['certificatelist']));
$config['installedpackages']['pinfold']['config'][0]['enable'] = 'on';
save_config();
$gui = simplexml_load_file("{$pkg}/usr/local/pkg/pinfold.xml");
check("pinfold.xml registers plugin_certificates too",
    (string)($gui->plugins->item->type ?? '') === 'plugin_certificates');

/* A build without TLS refuses an HTTPS listener: then the certificate steps are skipped
 * (and said so), and the rest runs with HTTP only. */
$tls = getenv('PINFOLD_TLS_BACKEND') !== 'none';
if (!$tls) {
	echo "skip - the certificate written and renewed (a build without TLS)\n";
	$config['installedpackages']['pinfold']['config'][0]['certref'] = 'none';
	save_config();
}

/* ---- 3. the config and the certificate written, checked by pinfold -c ------------------ */
if ($tls) {
$ok = pinfold_write_config();
check("pinfold_write_config() with one certificate" .
    ($ok ? '' : ': ' . implode(' | ', $GLOBALS['pfstub_log'])), $ok);
$cfg = @file_get_contents(PINFOLD_CFG);
$pem = PINFOLD_DIR . '/5f1e0c0ffee01.pem';
check("the config has the HTTPS listener and names the PEM",
    strpos((string)$cfg, "ListenHTTPS") !== false &&
    strpos((string)$cfg, "\tCert \"{$pem}\"") !== false);
check("the PEM holds the certificate and its key",
    strpos((string)@file_get_contents($pem), trim(file_get_contents($crt1))) !== false &&
    strpos((string)@file_get_contents($pem), trim(file_get_contents($key1))) !== false);
check("the PEM is 0640", (@fileperms($pem) & 0777) === 0640);

/* ---- 4. renewal: the certificate manager restarts the service, the rc script rewrites -- */
$config['cert'][0]['crt'] = pem_b64($crt2);
$config['cert'][0]['prv'] = pem_b64($key2);
save_config();
@unlink("{$dir}/port-rc.log");
/* src/etc/inc/certs.inc cert_restart_services(): restart_service() of each package
 * cert_get_all_services() found through the hook. */
foreach (call_plugins('plugin_certificates', array('type' => 'certificates',
    'event' => 'used_certificates')) as $name => $p) {
	if (!empty($p['certificatelist']['5f1e0c0ffee01'])) {
		restart_service($name);
	}
}
check("renewal: the port's rc script was asked onerestart",
    trim((string)@file_get_contents("{$dir}/port-rc.log")) === 'onerestart');
check("renewal: the new certificate is in the jail before pinfold restarts",
    strpos((string)@file_get_contents($pem), trim(file_get_contents($crt2))) !== false);

}

/* ---- 5. start and reload regenerate; broken settings are not applied -------------------- */
$config['installedpackages']['pinfold']['config'][0]['row'][0]['host'] = 'ha2.example.org';
save_config();
@unlink("{$dir}/port-rc.log");
$rc = pfstub_rc('reload');
check("reload: regenerated and handed on", $rc === 0 &&
    strpos((string)@file_get_contents(PINFOLD_CFG), '"ha2.example.org"') !== false &&
    trim((string)@file_get_contents("{$dir}/port-rc.log")) === 'onereload');
$before = file_get_contents(PINFOLD_CFG);
$config['installedpackages']['pinfold']['config'][0]['httpport'] = '99999';
save_config();
@unlink("{$dir}/port-rc.log");
$GLOBALS['pfstub_log'] = array();
$rc = pfstub_rc('reload');
check("reload with a broken setting fails", $rc !== 0);
check("... says why", strpos(implode("\n", $GLOBALS['pfstub_log']), 'not reloaded') !== false);
check("... leaves the live config as it was", file_get_contents(PINFOLD_CFG) === $before);
check("... and never signals pinfold", !file_exists("{$dir}/port-rc.log"));
$rc = pfstub_rc('start');
check("start with a broken setting: the last good config is used",
    $rc === 0 && trim((string)@file_get_contents("{$dir}/port-rc.log")) === 'onestart');
@unlink("{$dir}/port-rc.log");
$rc = pfstub_rc('stop');
check("stop does not regenerate", $rc === 0 &&
    trim((string)@file_get_contents("{$dir}/port-rc.log")) === 'onestop');

tap_done();
