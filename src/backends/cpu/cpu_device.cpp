// PLACEHOLDER until the cpu backend lands (owned by the cpu-backend helper).
#include "backends/cpu/cpu_device.h"
#include "tandem/error.h"
namespace tandem {
std::unique_ptr<Device> make_cpu_device(int, const DeviceOptions&) { fail(ErrorKind::Unsupported, "cpu backend not built yet"); }
std::string cpu_model_name() { return "unknown"; }
}  // namespace tandem
