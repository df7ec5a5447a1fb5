'use strict';
'require view';
'require form';
'require uci';

/*
 * pinfold's global settings and its listeners, with their certificates: names issued by
 * OpenWrt's acme package (/etc/ssl/acme/NAME.fullchain.crt + NAME.key) or PEM files.
 * Every option edited here is one /etc/init.d/pinfold validates and reads.
 */
return view.extend({
	load: function() {
		/* acme may not be installed: its names are only suggestions here. */
		return L.resolveDefault(uci.load('acme'), null);
	},

	acmeNames: function() {
		var names = [];
		uci.sections('acme', 'cert', function(s) {
			(L.toArray(s.domains)).forEach(function(d) {
				if (names.indexOf(d) < 0)
					names.push(d);
			});
		});
		return names;
	},

	render: function() {
		var m, s, o, names = this.acmeNames();

		m = new form.Map('pinfold', _('pinfold'),
			_('A small reverse proxy on the router: the WAN ports are forwarded to it, it sends each host name to its service on the LAN.'));

		s = m.section(form.NamedSection, 'main', 'pinfold', _('General'));
		s.tab('general', _('General'));
		s.tab('jail', _('Privileges'));
		s.tab('acme', _('Certificates (ACME)'));
		s.tab('firewall', _('Firewall'));

		o = s.taboption('general', form.Flag, 'enabled', _('Enabled'));
		o.rmempty = false;
		o = s.taboption('general', form.ListValue, 'loglevel', _('Log level'));
		o.value('0', _('Nothing'));
		o.value('1', _('One line per request'));
		o.value('2', _('With times'));
		o.value('3', _('Apache-like'));
		o.value('4', _('Combined'));
		o.value('5', _('Combined, with the service'));
		o.default = '1';
		o = s.taboption('general', form.Value, 'alive', _('Health check interval'),
			_('Seconds between checks of backends marked dead.'));
		o.datatype = 'range(1,86400)';
		o.placeholder = '30';
		o = s.taboption('general', form.Value, 'timeout', _('Backend timeout'), _('Seconds.'));
		o.datatype = 'range(1,86400)';
		o.optional = true;
		o = s.taboption('general', form.Value, 'client', _('Client timeout'), _('Seconds.'));
		o.datatype = 'range(1,86400)';
		o.optional = true;
		o = s.taboption('general', form.Flag, 'control', _('Control socket'),
			_('Needed by the status page and pinfoldctl.'));
		o.default = '1';

		o = s.taboption('jail', form.Value, 'user', _('User'));
		o.placeholder = 'pinfold';
		o = s.taboption('jail', form.Value, 'group', _('Group'));
		o.placeholder = 'pinfold';
		o = s.taboption('jail', form.Flag, 'chroot', _('Chroot'),
			_('After binding its ports pinfold chroots into /var/etc/pinfold.'));
		o.default = '1';
		o = s.taboption('jail', form.Flag, 'ujail', _('procd ujail'),
			_('A filesystem namespace on top of the chroot.'));

		o = s.taboption('acme', form.Value, 'acme_challenge', _('HTTP-01 challenge directory'),
			_('Where OpenWrt\'s acme package writes its challenges; mapped read-only into the jail and answered on every HTTP listener. Empty: off.'));
		o.placeholder = '/var/run/acme/challenge';
		o.optional = true;

		o = s.taboption('firewall', form.Flag, 'firewall', _('Forward the WAN ports'),
			_('Each listener with a WAN port gets a port forward while pinfold runs; route_localnet is set on the WAN device only.'));
		o = s.taboption('firewall', form.Value, 'wan_zone', _('WAN zone'));
		o.placeholder = 'wan';
		o.depends('firewall', '1');
		o = s.taboption('firewall', form.Value, 'wan_interface', _('WAN interface'));
		o.placeholder = 'wan';
		o.depends('firewall', '1');

		s = m.section(form.GridSection, 'listener', _('Listeners'));
		s.addremove = true;
		s.anonymous = false;
		s.nodescriptions = true;

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o = s.option(form.ListValue, 'protocol', _('Protocol'));
		o.value('http', 'HTTP');
		o.value('https', 'HTTPS');
		o = s.option(form.Value, 'address', _('Address'),
			_('127.0.0.1 behind the firewall\'s forward; \'::\' for IPv6 from the WAN.'));
		o.datatype = 'ipaddr';
		o.placeholder = '127.0.0.1';
		o = s.option(form.Value, 'port', _('Port'));
		o.datatype = 'port';
		o.rmempty = false;
		o = s.option(form.Value, 'wan_port', _('WAN port'));
		o.datatype = 'port';
		o.optional = true;
		o = s.option(form.ListValue, 'xhttp', _('Methods'));
		o.value('0', 'GET, POST, HEAD');
		o.value('1', _('+ PUT, PATCH, DELETE'));
		o.value('2', _('+ WebDAV'));
		o.value('3', _('+ Microsoft extensions'));
		o.optional = true;
		o = s.option(form.DynamicList, 'acme_domain', _('ACME certificates'),
			_('Names issued by the acme package; the first is the default.'));
		o.datatype = 'hostname';
		o.depends('protocol', 'https');
		names.forEach(function(n) { o.value(n); });
		o.modalonly = true;
		o = s.option(form.DynamicList, 'cert', _('PEM files'),
			_('Key and certificate chain in one file, e.g. /etc/ssl/acme/NAME.combined.crt.'));
		o.datatype = 'file';
		o.depends('protocol', 'https');
		o.modalonly = true;
		o = s.option(form.MultiValue, 'disable', _('Refuse'));
		o.value('TLSv1', 'TLS 1.0');
		o.value('TLSv1_1', 'TLS 1.1');
		o.value('TLSv1_2', 'TLS 1.2');
		o.depends('protocol', 'https');
		o.modalonly = true;

		return m.render();
	}
});
