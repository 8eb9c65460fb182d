#!/usr/bin/env python3
"""Turns cel-spec's simple conformance files (tests/simple/testdata/*.textproto) into Swift test data.

usage: cel-conformance-to-swift.py <cel-spec checkout> <out.swift> [skip-list]
Only cases within Kyvern's CEL (no protobuf messages, enums or wrappers) are kept; the skip list names
cases (file/section/test) left out because Kyvern's interpreter does not cover them.
"""
import os, re, sys

FILES = ["basic", "comparisons", "conversions", "dynamic", "fields", "fp_math", "integer_math", "lists",
         "logic", "macros", "optionals", "parse", "plumbing", "string", "string_ext", "timestamps"]

def tokenize(text):
    i, n = 0, len(text)
    toks = []
    while i < n:
        c = text[i]
        if c.isspace(): i += 1; continue
        if c == '#':
            while i < n and text[i] != '\n': i += 1
            continue
        if c in '{}:[],<>':
            toks.append(('p', c)); i += 1; continue
        if c in '"\'':
            q = c; j = i + 1; buf = []
            while text[j] != q:
                if text[j] == '\\':
                    buf.append(text[j:j+2]); j += 2
                else:
                    buf.append(text[j]); j += 1
            toks.append(('s', ''.join(buf))); i = j + 1; continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in '{}:[],<>#': j += 1
        toks.append(('w', text[i:j])); i = j
    return toks

def unescape(s):
    """textproto string escapes to bytes."""
    out = bytearray(); i = 0
    b = s.encode('utf-8')
    while i < len(b):
        c = b[i]
        if c == 92:
            e = chr(b[i+1])
            simple = {'n': 10, 't': 9, 'r': 13, 'a': 7, 'b': 8, 'f': 12, 'v': 11, '\\': 92, "'": 39, '"': 34, '?': 63}
            if e in simple: out.append(simple[e]); i += 2
            elif e in '01234567':
                j = i + 1; k = j
                while k < len(b) and k < j + 3 and chr(b[k]) in '01234567': k += 1
                out.append(int(b[j:k], 8) & 0xff); i = k
            elif e == 'x':
                j = i + 2; k = j
                while k < len(b) and k < j + 2 and chr(b[k]) in '0123456789abcdefABCDEF': k += 1
                out.append(int(b[j:k], 16)); i = k
            elif e == 'u':
                out += chr(int(b[i+2:i+6], 16)).encode('utf-8'); i += 6
            elif e == 'U':
                out += chr(int(b[i+2:i+10], 16)).encode('utf-8'); i += 10
            else: raise ValueError(e)
        else:
            out.append(c); i += 1
    return bytes(out)

def parse(toks, i=0, end=None):
    fields = []
    while i < len(toks):
        t = toks[i]
        if t == ('p', '}') or t == ('p', '>'): return fields, i + 1
        if t == ('p', ','): i += 1; continue
        name = t[1]; i += 1
        if toks[i] == ('p', ':'): i += 1
        if toks[i] in (('p', '{'), ('p', '<')):
            sub, i = parse(toks, i + 1)
            fields.append((name, sub))
        elif toks[i] == ('p', '['):
            i += 1
            while toks[i] != ('p', ']'):
                if toks[i] == ('p', ','): i += 1; continue
                if toks[i] == ('p', '{'):
                    sub, i = parse(toks, i + 1); fields.append((name, sub))
                else:
                    fields.append((name, toks[i])); i += 1
            i += 1
        else:
            v = toks[i]; i += 1
            # adjacent string literals concatenate
            while v[0] == 's' and i < len(toks) and toks[i][0] == 's':
                v = ('s', v[1] + toks[i][1]); i += 1
            fields.append((name, v))
    return fields, i

def get(fields, name):
    return [v for k, v in fields if k == name]

def one(fields, name):
    v = get(fields, name)
    return v[0] if v else None

def swift_string(bs):
    s = bs.decode('utf-8')
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '\\': out.append('\\\\')
        elif ch == '"': out.append('\\"')
        elif o < 0x20 or o == 0x7f or 0xd800 <= o <= 0xdfff: out.append('\\u{%x}' % o)
        else: out.append(ch)
    return '"' + ''.join(out) + '"'

class Unsupported(Exception): pass

def value(v):
    k, val = v[0]
    if k == 'int64_value': return '.int(%s)' % val[1]
    if k == 'uint64_value': return '.uint(%s)' % val[1]
    if k == 'double_value':
        t = val[1].lower()
        if t in ('inf', 'infinity'): return '.double(.infinity)'
        if t in ('-inf', '-infinity'): return '.double(-.infinity)'
        if t == 'nan': return '.double(.nan)'
        return '.double(%s)' % (t if re.search(r'[.eE]', t) else t + '.0')
    if k == 'string_value': return '.string(%s)' % swift_string(unescape(val[1]))
    if k == 'bytes_value': return '.bytes(%s)' % list(unescape(val[1]))
    if k == 'bool_value': return '.bool(%s)' % val[1]
    if k == 'null_value': return '.null'
    if k == 'list_value':
        return '.list([%s])' % ', '.join(value(x) for x in get(val, 'values'))
    if k == 'map_value':
        entries = get(val, 'entries')
        return '.map(try! CELMap([%s]))' % ', '.join('(%s, %s)' % (value(one(e, 'key')), value(one(e, 'value'))) for e in entries) if entries else '.map(CELMap())'
    if k == 'type_value':
        names = {'int': '.int', 'uint': '.uint', 'double': '.double', 'string': '.string', 'bytes': '.bytes', 'bool': '.bool',
                 'null_type': '.null', 'list': '.list(.dyn)', 'map': '.map(.dyn, .dyn)', 'type': '.type(nil)',
                 'google.protobuf.Duration': '.duration', 'google.protobuf.Timestamp': '.timestamp'}
        if val[1] not in names: raise Unsupported('type ' + val[1])
        return '.type(%s)' % names[val[1]]
    raise Unsupported(k)

def main():
    root, out = sys.argv[1], sys.argv[2]
    skip = set()
    if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
        skip = {l.strip() for l in open(sys.argv[3]) if l.strip() and not l.startswith('#')}
    lines, total, kept = [], 0, 0
    for f in FILES:
        text = open(os.path.join(root, 'tests/simple/testdata', f + '.textproto')).read()
        fields, _ = parse(tokenize(text))
        for sec in get(fields, 'section'):
            sname = one(sec, 'name')[1]
            for t in get(sec, 'test'):
                total += 1
                tname = one(t, 'name')[1]
                key = '%s/%s/%s' % (f, sname, tname)
                if key in skip: continue
                if any(get(t, k) for k in ('type_env', 'container', 'disable_macros', 'check_only', 'typed_result', 'unknown', 'any_eval_errors', 'any_unknowns')):
                    continue
                expr = unescape(one(t, 'expr')[1])
                # protobuf message literals and backquoted fields are outside Kubernetes' CEL.
                if re.search(rb'[A-Za-z0-9_]\{', expr) or b'`' in expr or b'google.protobuf.' in expr and b'{' in expr:
                    continue
                try:
                    binds = []
                    for b in get(t, 'bindings'):
                        bv = one(one(b, 'value'), 'value')
                        if bv is None: raise Unsupported('binding')
                        binds.append('%s: %s' % (swift_string(unescape(one(b, 'key')[1])), value([(bv[0][0], bv[0][1])])))
                    v = one(t, 'value')
                    if v is not None:
                        exp = '.value(%s)' % value(v)
                    elif get(t, 'eval_error'):
                        exp = '.error'
                    else:
                        exp = '.value(.bool(true))'
                except Unsupported:
                    continue
                disable_check = 'true' in [x[1] for x in get(t, 'disable_check')]
                kept += 1
                lines.append('        .init(%s, %s, %s, [%s], check: %s),' % (
                    swift_string(key.encode()), swift_string(expr), exp, ', '.join(binds) or ':', 'false' if disable_check else 'true'))
    with open(out, 'w') as o:
        o.write('// Generated by scripts/cel-conformance-to-swift.py from google/cel-spec tests/simple/testdata.\n')
        o.write('// %d of %d cases: those within Kyvern\'s CEL (no protobuf messages); see CELConformanceSkips.txt.\n' % (kept, total))
        o.write('import KyvernCEL\n\nextension CELConformanceCase {\n    static let all: [CELConformanceCase] = [\n')
        o.write('\n'.join(lines) + '\n    ]\n}\n')

main()
