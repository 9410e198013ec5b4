using Lawcat.Kernels;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary>Makes a command's <c>--kernels</c> the process's default kernel policy before the command runs.</summary>
sealed class KernelPolicyInterceptor : ICommandInterceptor
{
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        if (settings is DeviceSettings { Kernels: { } name }) KernelPolicies.Default = KernelPolicies.Parse(name, "--kernels");
    }

    public void InterceptResult(CommandContext context, CommandSettings settings, ref int result) { }
}
