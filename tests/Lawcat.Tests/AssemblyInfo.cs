// libtorch's random generator and thread pool are process-wide: tests run one at a time so seeds mean what they say
// and the two CPU threads go to one test.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
