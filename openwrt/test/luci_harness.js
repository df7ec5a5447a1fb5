'use strict';
/*
 * openwrt/test/luci_harness.js VIEW.js [STATE.json] - runs a LuCI view of luci-app-pinfold
 * against test stand-ins for LuCI's client classes, the way LuCI itself loads a view
 * (the file is a function body: its 'require lines, then `return view.extend({...})`).
 * The stand-ins keep the calls the views make (form.Map/section/option/taboption/value/
 * depends, uci.load/sections, fs.exec_direct, poll.add, E(), cbi_update_table) and record
 * what the form would edit; they are not LuCI (luci-base: htdocs/luci-static/resources/
 * form.js, uci.js, fs.js, poll.js, cbi.js), which is not available here.
 * Prints JSON: {"options": {SECTION_TYPE: [OPTION...]}, "text": the rendered text}.
 * With STATE.json, fs.exec_direct answers with it (the status view's pinfoldctl -j list).
 */
const fs = require('fs');
const file = process.argv[2];
const state = process.argv[3] ? JSON.parse(fs.readFileSync(process.argv[3], 'utf8')) : null;
const src = fs.readFileSync(file, 'utf8');

const options = {};
const execs = [];

function record(type, name) {
	(options[type] = options[type] || []);
	if (options[type].indexOf(name) < 0)
		options[type].push(name);
}

class Node {
	constructor(tag, attrs, children) {
		this.tag = tag;
		this.attrs = attrs || {};
		this.children = [];
		this.append(children);
	}
	append(c) {
		if (c === undefined || c === null)
			return;
		if (Array.isArray(c))
			c.forEach((x) => this.append(x));
		else
			this.children.push(c);
	}
	replaceChildren(...c) {
		this.children = [];
		this.append(c);
	}
	text() {
		return this.children.map((c) => (c instanceof Node ? c.text() : String(c))).join(' ');
	}
}
function E(tag, attrs, children) {
	if (Array.isArray(attrs) || typeof attrs === 'string' || attrs instanceof Node)
		return new Node(tag, {}, attrs);
	return new Node(tag, attrs, children);
}
global.cbi_update_table = function(table, rows, placeholder) {
	if (!rows.length)
		table.append(placeholder);
	rows.forEach((r) => table.append(new Node('tr', {}, r.map((c) => new Node('td', {}, [ String(c) ])))));
};

class AbstractValue {
	constructor(section, name) {
		this.section = section;
		this.name = name;
		this.values = [];
	}
	value(k) { this.values.push(k); }
	depends() {}
}
const form = {};
[ 'Flag', 'Value', 'ListValue', 'DynamicList', 'MultiValue', 'TextValue', 'DummyValue' ]
	.forEach((n) => { form[n] = class extends AbstractValue {}; });
class Section {
	constructor(map, type, name) {
		this.map = map;
		this.sectiontype = type;
		this.sectionname = name;
	}
	tab() {}
	option(cls, name) {
		record(this.sectiontype, name);
		return new cls(this, name);
	}
	taboption(tab, cls, name) {
		return this.option(cls, name);
	}
}
form.NamedSection = class extends Section {
	constructor(map, name, type) { super(map, type, name); }
};
form.TypedSection = class extends Section {
	constructor(map, type) { super(map, type); }
};
form.GridSection = class extends form.TypedSection {};
form.Map = class {
	constructor(config, title) {
		this.config = config;
		this.title = title;
	}
	section(cls, a, b) {
		if (this.config !== 'pinfold')
			throw new Error('a form.Map of another config: ' + this.config);
		return new cls(this, a, b);
	}
	render() { return Promise.resolve(new Node('form', {}, [ this.title ])); }
};

const uci = {
	load: (c) => Promise.resolve(c),
	sections: (conf, type, cb) => {
		const s = conf === 'pinfold' && type === 'listener' ? [ { '.name': 'http' }, { '.name': 'https' } ] :
			conf === 'acme' && type === 'cert' ? [ { '.name': 'ha', domains: [ 'ha.example.org' ] } ] : [];
		s.forEach(cb);
		return s;
	}
};
const lfs = {
	exec_direct: (cmd, args, type) => {
		execs.push([ cmd ].concat(args).join(' '));
		return state ? Promise.resolve(state) : Promise.reject(new Error('no pinfold'));
	}
};
const poll = { add: () => {} };
const view = { extend: (o) => o };
const L = {
	resolveDefault: (p, d) => Promise.resolve(p).catch(() => d),
	toArray: (x) => (x === undefined || x === null ? [] : Array.isArray(x) ? x : String(x).split(/\s+/))
};
const _ = (s) => s;
String.prototype.format = function() {
	const a = Array.from(arguments);
	return this.replace(/%[ds]/g, () => String(a.shift()));
};

const body = new Function('view', 'form', 'uci', 'fs', 'poll', 'L', '_', 'E', src);
const v = body(view, form, uci, lfs, poll, L, _, E);
Promise.resolve(v.load ? v.load() : null)
	.then((data) => v.render(data))
	.then((node) => {
		process.stdout.write(JSON.stringify({ options: options, execs: execs,
			text: node instanceof Node ? node.text() : '' }) + '\n');
	})
	.catch((e) => {
		process.stderr.write('luci_harness: ' + (e.stack || e) + '\n');
		process.exit(1);
	});
