// SPDX-License-Identifier: BSL-1.0
// fuzz/replay_main.cpp - runs a fuzz target over files and directories when libFuzzer is not linked.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);
// Optional, as with libFuzzer: a target's one-time setup.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

int replay(std::filesystem::path const& p)
{
    std::ifstream in(p, std::ios::binary);
    if(!in)
    {
        std::fprintf(stderr, "cannot read %s\n", p.c_str());
        return 1;
    }
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size());
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if(LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    int failures = 0;
    std::size_t count = 0;
    for(int i = 1; i < argc; ++i)
    {
        std::filesystem::path const arg = argv[i];
        if(std::filesystem::is_directory(arg))
        {
            for(auto const& e : std::filesystem::recursive_directory_iterator(arg))
                if(e.is_regular_file())
                {
                    failures += replay(e.path());
                    ++count;
                }
        }
        else
        {
            failures += replay(arg);
            ++count;
        }
    }
    std::printf("replayed %zu inputs\n", count);
    return failures == 0 ? 0 : 1;
}
