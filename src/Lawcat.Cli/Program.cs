System.Console.WriteLine(Lawcat.Probe.Hello());
