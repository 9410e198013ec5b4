// The setup every notebook loads from its first cell (#load "setup.csx"), after that cell's #r "nuget:" lines: a
// loaded file may not reference NuGet packages itself. It references the workbench's two assemblies that ./setup.sh
// builds (paths relative to this file; after changing them, rebuild and restart the kernel), imports their namespaces
// into every later cell (global using: a plain using in a loaded file stays in the file) and picks the device.
#r "../src/Lawcat/bin/Release/net10.0/Lawcat.dll"
#r "../src/Lawcat.Presentation/bin/Release/net10.0/Lawcat.Presentation.dll"

global using System.IO;
global using System.Linq;
global using Lawcat;
global using Lawcat.Attention;
global using Lawcat.Benchmarks;
global using Lawcat.Conversion;
global using Lawcat.Diagnostics;
global using Lawcat.Distillation;
global using Lawcat.Evaluation;
global using Lawcat.Llama;
global using Lawcat.Notebooks;
global using Lawcat.Tokenization;
global using Lawcat.Training;
global using Lawcat.Visualization;
global using TorchSharp;
global using static TorchSharp.torch;

var deviceName = cuda.is_available() ? "cuda" : "cpu";
var device = torch.device(deviceName);
Console.WriteLine($"device: {deviceName}; {NotebookScale.Describe()}");
