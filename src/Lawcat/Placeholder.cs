namespace Lawcat;
public static class Probe { public static string Hello() => TorchSharp.TensorExtensionMethods.ToSingle(TorchSharp.torch.ones(2).sum()).ToString(); }
