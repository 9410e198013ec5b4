"""Prints the results file of hf_export_check.py (--json) as the rows of the GPU table in docs/interop.md.

Usage: python3 hf_export_table.py hf-export.json
"""
import json
import sys


def row(r, tol):
    if "logits" not in r:
        return f"| {r['name']} | failed: {r['error']} |"
    lg, gen, b = r["logits"], r["generate"], r.get("bfloat16")
    bf16 = (f"max \\|diff\\| {b['max_abs_diff']:.3g}, top-1 {100 * b['top1_agreement']:.1f}%, LAWCAT parameters "
            f"{', '.join(d.replace('torch.', '') for d in b['lawcat_parameter_dtypes'])}") if b else "-"
    generate = "identical" if gen["pass"] else f"differs at token {gen.get('first_difference')}" if "error" not in gen else f"failed: {gen['error']}"
    return (f"| {r['name']} | {r['parameters']:,} | {r['tokens'][0]} × {r['tokens'][1]} | {lg['max_abs_diff']:.2g} "
            f"({lg['tolerance']:.2g} = {tol:g} × {lg['scale']:.3g}) | {r['decode']['max_abs_diff']:.2g} | {generate} | {bf16} |")


def main():
    saved = json.load(open(sys.argv[1]))
    env = saved["environment"]
    print(f"{env['device']}, transformers {env['transformers']}, PyTorch {env['torch']}")
    for r in saved["results"]:
        print(row(r, saved["tolerance_relative"]))


if __name__ == "__main__":
    main()
