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
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(WALE_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
    # ThreadSanitizer does not model atomic_thread_fence (g++ refuses it
    # with -Wtsan). Asio fences its handler invocations on top of the
    # mutexes that already order them; this drops only those fences.
    target_compile_definitions(${target} PRIVATE BOOST_ASIO_DISABLE_FENCED_BLOCK)
  endif()
endfunction()
