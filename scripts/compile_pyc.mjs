// Compile Python sources to bytecode inside one Pyodide release (scripts/bytecode.py runs it).
//   node scripts/compile_pyc.mjs <pyodide npm dir>  < {"path in wheel": "source", ...}
// prints {"path of the .pyc in the wheel": "<base64>", ...}: unchecked-hash .pyc files (PEP 552)
// for that release's CPython, named as its importlib looks for them (__pycache__/x.cpython-3NN.pyc).
import path from "node:path";
import { pathToFileURL } from "node:url";

const npmDir = path.resolve(process.argv[2]);
const { loadPyodide } = await import(pathToFileURL(path.join(npmDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: npmDir + path.sep });
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
pyodide.globals.set("sources_json", Buffer.concat(chunks).toString("utf8"));
const out = pyodide.runPython(`
import base64, importlib.util, json
from importlib._bootstrap_external import _code_to_hash_pyc

compiled = {}
for name, text in json.loads(sources_json).items():
    data = text.encode()
    code = compile(data, name, "exec", dont_inherit=True)
    pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
    compiled[importlib.util.cache_from_source(name)] = base64.b64encode(pyc).decode()
json.dumps(compiled)
`);
process.stdout.write(out);
