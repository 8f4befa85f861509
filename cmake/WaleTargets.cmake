# Compiler settings for the project's own targets. Warnings are errors here;
# third-party headers come in through imported targets, which CMake marks as
# SYSTEM includes, so their warnings never fail the build.
function(wale_target_defaults target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
    -Werror
    # g++ 12 reports false -Wrestrict positives inside libstdc++'s
    # std::string concatenation at -O2 and above (GCC bug 105651).
    -Wno-restrict)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
  if(WALE_SANITIZE)
    # -O1, as AddressSanitizer's documentation advises, and executables
    # that are not position independent: at -O0 a sanitized wal-ed carried
    # two million dynamic relocations and took 0.56 s to print its version
    # (0.17 s now, 0.06 s unsanitized), paid again by every `wal-ed
    # --one-shot` the in-process tests start; the same sanitizer tests ran
    # 1685 s, now 1271 s (test_archive_restore_in_process 312 s, now
    # 170 s). (-O1 may drop a dead access before it is instrumented, a
    # loss ASan's documentation accepts; the fuzz targets are built so too.)
    # At -O1, g++ 12 sees Asio's coroutine-frame allocator (operator new
    # inlined, its recycling delete not) as a mismatched new/delete; that
    # warning is off here only, where ASan checks every such pair at run
    # time (alloc_dealloc_mismatch), and stays on in every other build.
    # -g1: the line tables a report's stack trace needs, a third less
    # compile time than -g.
    target_compile_options(${target} PRIVATE -O1 -g1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
      -Wno-mismatched-new-delete)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_link_options(${target} PRIVATE -no-pie)
    endif()
  endif()
  if(WALE_TSAN)
    target_compile_options(${target} PRIVATE -g1 -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
    # ThreadSanitizer does not model atomic_thread_fence (g++ refuses it
    # with -Wtsan). Asio fences its handler invocations on top of the
    # mutexes that already order them; this drops only those fences.
    target_compile_definitions(${target} PRIVATE BOOST_ASIO_DISABLE_FENCED_BLOCK)
  endif()
endfunction()
