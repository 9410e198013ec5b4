@echo off
rem Runs the lawcat command line built by setup (building it first if needed).
set "APP=%~dp0src\Lawcat.Cli\bin\Release\net10.0\win-x64\Lawcat.Cli.exe"
if not exist "%APP%" dotnet build "%~dp0src\Lawcat.Cli" -c Release -nologo -v quiet || exit /b 1
"%APP%" %*
