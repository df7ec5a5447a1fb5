'use strict';
'require view';
'require form';
'require uci';

/*
 * pinfold's services: host names (and paths) to the backends on the LAN, or a redirect.
 * Every option edited here is one /etc/init.d/pinfold validates and reads.
 */
return view.extend({
	render: function() {
		var m, s, o;

		m = new form.Map('pinfold', _('pinfold: services and backends'),
			_('A request goes to the first service whose host names (and paths) match it.'));

		s = m.section(form.GridSection, 'service', _('Services'));
		s.addremove = true;
		s.anonymous = false;
		s.sortable = true;
		s.nodescriptions = true;

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o = s.option(form.ListValue, 'listener', _('Listener'),
			_('Empty: every listener.'));
		o.value('', _('all'));
		uci.sections('pinfold', 'listener', function(l) {
			o.value(l['.name']);
		});
		o = s.option(form.DynamicList, 'host', _('Host names'),
			_('\'*.example.org\' matches one label.'));
		o = s.option(form.DynamicList, 'url', _('Paths'), _('Regular expressions, e.g. ^/api/'));
		o.modalonly = true;
		o = s.option(form.DynamicList, 'backend', _('Backends'),
			_('host:port, [IPv6]:port, or https://host:port for HTTPS to the backend.'));
		o = s.option(form.Value, 'emergency', _('Emergency backend'),
			_('Used only while every backend is down.'));
		o.modalonly = true;
		o = s.option(form.Value, 'redirect', _('Redirect to'),
			_('Instead of backends: http:// or https:// URL; path and query are kept.'));
		o.modalonly = true;
		o = s.option(form.ListValue, 'redirect_code', _('Redirect code'));
		['301', '302', '303', '307', '308'].forEach(function(c) { o.value(c); });
		o.depends({ redirect: /./ });
		o.modalonly = true;
		o = s.option(form.DynamicList, 'allow', _('Allowed clients'),
			_('Addresses or CIDR; without any, everyone.'));
		o.datatype = 'or(ipaddr,cidr)';
		o.modalonly = true;

		return m.render();
	}
});
