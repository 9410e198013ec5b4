namespace Lawcat.Tests;
public class SmokeTests { [Fact] public void Loads() => Assert.Equal("2", Lawcat.Probe.Hello()); }
