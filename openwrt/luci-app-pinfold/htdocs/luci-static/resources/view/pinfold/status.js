'use strict';
'require view';
'require fs';
'require poll';

/*
 * The running pinfold, as `pinfoldctl -j list` reports it through its control socket
 * (option control): listeners, services and their backends, with their counters.
 */
var CTL = '/usr/sbin/pinfoldctl';
var CTL_ARGS = [ '-f', '/var/etc/pinfold/pinfold.cfg', '-j', 'list' ];

return view.extend({
	fetch: function() {
		return L.resolveDefault(fs.exec_direct(CTL, CTL_ARGS, 'json'), null);
	},

	load: function() {
		return this.fetch();
	},

	backendRows: function(svc) {
		return (svc.backends || []).map(function(b) {
			var state = !b.enabled ? _('disabled') : b.alive ? _('alive') :
				b.probing ? _('probing') : _('dead');
			return [
				b.path, b.address + (b.https ? ' (HTTPS)' : '') + (b.emergency ? ' ' + _('(emergency)') : ''),
				state, b.priority, b.active, b.requests
			];
		});
	},

	renderState: function(st) {
		var self = this;

		if (!st || !Array.isArray(st.listeners))
			return E('p', { 'class': 'alert-message warning' },
				_('pinfold is not running, or its control socket is off (Settings: Control socket).'));

		var table = function(titles) {
			return E('table', { 'class': 'table' }, [
				E('tr', { 'class': 'tr table-titles' }, titles.map(function(t) {
					return E('th', { 'class': 'th' }, t);
				}))
			]);
		};
		var listeners = table([ _('Listener'), _('Address'), _('Protocol'), _('Connections'), _('Requests') ]);
		var services = table([ _('Service'), _('Name'), _('Kind'), _('Requests') ]);
		var backends = table([ _('Backend'), _('Address'), _('State'), _('Priority'), _('Active'), _('Requests') ]);
		var lrows = [], srows = [], brows = [];
		var allServices = [].concat(st.services || []);

		st.listeners.forEach(function(l) {
			lrows.push([ l.path, l.address, l.protocol, l.connections, l.requests ]);
			allServices = allServices.concat(l.services || []);
		});
		allServices.forEach(function(s) {
			srows.push([ s.path, s.name || '-', s.kind, s.requests ]);
			brows = brows.concat(self.backendRows(s));
		});
		cbi_update_table(listeners, lrows, E('em', {}, _('None')));
		cbi_update_table(services, srows, E('em', {}, _('None')));
		cbi_update_table(backends, brows, E('em', {}, _('None')));

		return E('div', { 'id': 'pinfold-state' }, [
			E('p', {}, _('Process %d, up %d s, %d connections').format(st.pid, st.uptime, st.connections)),
			E('h3', {}, _('Listeners')), listeners,
			E('h3', {}, _('Services')), services,
			E('h3', {}, _('Backends')), backends
		]);
	},

	render: function(st) {
		var self = this, box = E('div', {}, [ this.renderState(st) ]);

		poll.add(function() {
			return self.fetch().then(function(now) {
				box.replaceChildren(self.renderState(now));
			});
		}, 10);

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('pinfold: status')),
			box
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
