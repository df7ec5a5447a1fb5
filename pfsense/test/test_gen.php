<?php
/*
 * pfsense/test/test_gen.php - the pfSense package's settings -> native config
 * (pinfold_gen.inc), checked line by line and by the real `pinfold -c`.
 * Usage: php test_gen.php PINFOLD OUTDIR USER GROUP JAIL PORT BACKEND_PORT
 * Writes OUTDIR/gui.cfg (the config test_pfsense.sh then runs through the rc script).
 * Prints "ok - ..." / "not ok - ..." lines and "N passed, N failed"; exit 1 on a failure.
 */

require_once(__DIR__ . '/../pfSense-pkg-pinfold/files/usr/local/pkg/pinfold_gen.inc');

[$self, $bin, $dir, $user, $group, $jail, $port, $beport] = $argv;
require_once(__DIR__ . '/tap.inc');

function has_line(string $text, string $line): bool
{
	return in_array($line, explode("\n", $text), true);
}

function pinfold_check(string $bin, string $file, ?string &$out = null): bool
{
	$lines = array();
	$rc = 0;
	exec(escapeshellarg($bin) . ' -c -f ' . escapeshellarg($file) . ' 2>&1', $lines, $rc);
	$out = implode("\n", $lines);
	return $rc === 0;
}

$opt = array('user' => $user, 'group' => $group, 'jail' => $jail, 'certfile' => '',
    'custom_file' => "{$dir}/custom.cfg");

/* 1. the settings pfSense stores, HTTP only (no certificate) */
$s = array(
	'enable' => 'on', 'mode' => 'gui', 'listenaddr' => '127.0.0.1', 'httpport' => $port,
	'httpsport' => '7443', 'certref' => 'none', 'redirect' => 'on', 'xhttp' => '1',
	'loglevel' => '2', 'alive' => '5',
	'row' => array(
		array('host' => 'ha.example.org', 'address' => '127.0.0.2', 'port' => $beport),
		array('host' => 'files.example.org', 'address' => '127.0.0.2', 'port' => $beport,
		    'tls' => ''),
	),
);
$errors = array();
$text = pinfold_gen_config($s, $opt, $errors);
check("GUI settings: no errors", $errors === array());
foreach (array("User \"{$user}\"", "Group \"{$group}\"", "RootJail \"{$jail}\"", "LogLevel 2",
    "Alive 5", "ListenHTTP", "\tAddress 127.0.0.1", "\tPort {$port}", "\txHTTP 1",
    "Service \"svc_1\"", "\tHost \"ha.example.org\"", "\t\tAddress 127.0.0.2",
    "\t\tPort {$beport}", "Service \"svc_2\"", "\tHost \"files.example.org\"") as $l) {
	check("GUI settings give: " . trim($l), has_line($text, $l));
}
check("no HTTPS listener without a certificate", strpos($text, 'ListenHTTPS') === false);
check("no redirect without HTTPS", strpos($text, 'Redirect') === false);
file_put_contents("{$dir}/gui.cfg", $text);
check("pinfold -c accepts it", pinfold_check($bin, "{$dir}/gui.cfg", $out));
if ($out !== '' && strpos($out, 'OK') === false) {
	echo $out, "\n";
}

/* 2. with a certificate: HTTPS listener, Cert, the redirects, HTTPS backends */
$s['row'][1]['tls'] = 'on';
$errors = array();
$text = pinfold_gen_config($s, array_merge($opt, array('certfile' => '/var/etc/pinfold/x.pem')),
    $errors);
check("with a certificate: no errors", $errors === array());
foreach (array("ListenHTTPS", "\tPort 7443", "\tCert \"/var/etc/pinfold/x.pem\"",
    "\tDisable TLSv1_1", "\tService \"to_https_1\"", "\t\tHost \"ha.example.org\"",
    "\t\tRedirect 301 \"https://ha.example.org\"", "\t\tRedirect 301 \"https://files.example.org\"",
    "\t\tHTTPS") as $l) {
	check("with a certificate: " . trim($l), has_line($text, $l));
}

/* 3. hand-written: the generated file only includes it */
copy("{$dir}/gui.cfg", "{$dir}/custom.cfg");
$errors = array();
$inc = pinfold_gen_config(array('mode' => 'custom'), $opt, $errors);
check("custom mode: only an Include", has_line($inc, "Include \"{$dir}/custom.cfg\"") &&
    strpos($inc, 'Listen') === false);
file_put_contents("{$dir}/include.cfg", $inc);
check("pinfold -c follows the Include", pinfold_check($bin, "{$dir}/include.cfg", $out));

/* 4. mistakes: every one reported */
$bad = array('listenaddr' => '127.0.0.1; rm', 'httpport' => '99999', 'loglevel' => '7',
	'row' => array(array('host' => 'bad host', 'address' => '1"2', 'port' => 'x')));
$errors = array();
pinfold_gen_config($bad, array_merge($opt, array('user' => 'a"b')), $errors);
foreach (array("user: quotes", "Listen address: expected an IP address",
    "HTTP port: expected a number 1-65535, got '99999'", "Log level: expected a number 0-5",
    "Service 1 host: expected a host name", "Service 1 backend address",
    "Service 1 backend port: expected a number") as $want) {
	$found = false;
	foreach ($errors as $e) {
		$found = $found || strpos($e, $want) !== false;
	}
	check("reported: {$want}", $found);
}
$errors = array();
pinfold_gen_config(array('row' => array()), $opt, $errors);
check("reported: no services", count($errors) === 1 && strpos($errors[0], 'at least one') !== false);

tap_done();
