using Lawcat.Cli;
using Lawcat.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("lawcat");
    config.PropagateExceptions();
    config.SetInterceptor(new UnknownOptionInterceptor(new KernelPolicyInterceptor(), args));
    config.AddCommand<InfoCommand>("info").WithDescription("Show a model folder's architecture, parameter count and memory needs.");
    config.AddCommand<GenerateCommand>("generate").WithDescription("Greedy text generation with a teacher or a LAWCAT student.");
    config.AddCommand<DistillCommand>("distill").WithDescription("Distill a softmax Llama into LAWCAT (attention transfer, then fine-tuning), then evaluate passkey retrieval.");
    config.AddCommand<AblateCommand>("ablate").WithDescription("Run an ablation grid (variants one switch away from a default distillation), resumable, then one table with intervals and p-values.");
    config.AddCommand<PretrainCommand>("pretrain").WithDescription("Train a small Llama from scratch (how the embedded tiny teacher is made).");
    config.AddCommand<ReportCommand>("report").WithDescription("Write a self-contained HTML report (figures inline, works offline) of a distill or eval run folder.");
    config.AddCommand<ExportCommand>("export").WithDescription("Write a distilled student as a self-contained model folder (LoRA merged).");
    config.AddBranch("eval", eval =>
    {
        eval.SetDescription("Long-context evaluation of a teacher and its LAWCAT student.");
        eval.AddCommand<EvalPasskeyCommand>("passkey").WithDescription("Passkey retrieval (LongLoRA/landmark protocol).");
        eval.AddCommand<EvalNiahCommand>("niah").WithDescription("RULER single needle in a haystack, S-NIAH-1/2/3.");
        eval.AddCommand<EvalBabilongCommand>("babilong").WithDescription("BABILong QA2/QA3.");
        eval.AddCommand<EvalPplCommand>("ppl").WithDescription("Perplexity on held-out text.");
    });
#if LAWCAT_NOTEBOOKS
    config.AddBranch("notebook", notebook =>
    {
        notebook.SetDescription("Run the C# notebooks without an editor.");
        notebook.AddCommand<NotebookRunCommand>("run").WithDescription("Run a notebook headlessly and write it with its outputs; exit code 1 on a failing cell.");
    });
#endif
    config.AddBranch("bench", bench =>
    {
        bench.SetDescription("Speed and memory benchmarks.");
        bench.AddCommand<BenchAttentionCommand>("attention").WithDescription("Prefill latency and peak memory: softmax SDPA vs LAWCAT, per sequence length.");
        bench.AddCommand<BenchKernelsCommand>("kernels").WithDescription("Check the CUDA kernels against the fp32 recurrence (GPU).");
        bench.AddCommand<BenchModelCommand>("model").WithDescription("Whole-model load time, prefill and decode throughput, teacher vs student.");
    });
});
return Cli.Run(app, args);
